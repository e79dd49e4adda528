#include "metadata/table_metadata_json.h"

#include <simdjson.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "datashard/errors.h"
#include "format/json/value_json.h"
#include "util/utf8.h"

namespace datashard {
namespace {

using nlohmann::json;

[[noreturn]] void Bad(const std::string& where, const std::string& what) {
  throw Corruption("table metadata " + where + ": " + what);
}

const json& Required(const json& j, const char* key, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null())
    Bad(where, std::string("missing required field '") + key + "'");
  return *it;
}

int64_t GetLong(const json& j, const char* key, const std::string& where) {
  const json& v = Required(j, key, where);
  if (!v.is_number_integer()) Bad(where, std::string("field '") + key + "' is not an integer");
  return v.get<int64_t>();
}

int GetInt(const json& j, const char* key, const std::string& where) {
  return static_cast<int>(GetLong(j, key, where));
}

std::string GetString(const json& j, const char* key, const std::string& where) {
  const json& v = Required(j, key, where);
  if (!v.is_string()) Bad(where, std::string("field '") + key + "' is not a string");
  return v.get<std::string>();
}

std::optional<int64_t> OptLong(const json& j, const char* key, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) Bad(where, std::string("field '") + key + "' is not an integer");
  return it->get<int64_t>();
}

// Appends `s` as a JSON string, escaped as nlohmann::json::dump() does.
// InvalidArgument naming `what` when `s` is not UTF-8 (JSON text must be).
void AppendJsonString(std::string* out, const std::string& s, std::string_view what) {
  if (!IsValidUtf8(s)) {
    throw InvalidArgument("table metadata: " + std::string(what) + " '" + s +
                          "' is not valid UTF-8, which JSON text must be");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t plain = 0;  // start of the run of characters copied as they are
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s, plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        *out += "\\u00";
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xf]);
    }
  }
  out->append(s, plain, std::string::npos);
  out->push_back('"');
}

void AppendStringMap(std::string* out, const std::map<std::string, std::string>& m) {
  out->push_back('{');
  bool first = true;
  for (const auto& [key, value] : m) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(out, key, "key");
    out->push_back(':');
    AppendJsonString(out, value, key);
  }
  out->push_back('}');
}

// Keys in sorted order, as nlohmann::json writes an object.
void AppendSnapshot(std::string* out, const Snapshot& s) {
  *out += "{\"manifest-list\":";
  AppendJsonString(out, s.manifest_list, "manifest-list");
  if (s.parent_snapshot_id)
    *out += ",\"parent-snapshot-id\":" + std::to_string(*s.parent_snapshot_id);
  if (s.schema_id) *out += ",\"schema-id\":" + std::to_string(*s.schema_id);
  *out += ",\"sequence-number\":" + std::to_string(s.sequence_number);
  *out += ",\"snapshot-id\":" + std::to_string(s.snapshot_id);
  *out += ",\"summary\":";
  AppendStringMap(out, s.summary);
  *out += ",\"timestamp-ms\":" + std::to_string(s.timestamp_ms) + "}";
}

// A snapshot never changes once in a list (snapshot.h), and a table's newest
// hundred are written again on every commit: each one's text is made once
// and reused while the snapshot lives. Entries of snapshots no list holds
// any more are swept when the cache has doubled since the last sweep.
class SnapshotTextCache {
 public:
  std::shared_ptr<const std::string> Text(const std::shared_ptr<const Snapshot>& s) {
    std::unique_lock<std::mutex> lock(mu_);
    if (const auto it = texts_.find(s.get());
        it != texts_.end() && SameOwner(it->second.owner, s)) {
      return it->second.text;
    }
    lock.unlock();
    auto text = std::make_shared<std::string>();
    AppendSnapshot(text.get(), *s);
    lock.lock();
    if (texts_.size() >= sweep_at_) {
      std::erase_if(texts_, [](const auto& entry) { return entry.second.owner.expired(); });
      sweep_at_ = std::max(kMinSweep, 2 * texts_.size());
    }
    texts_[s.get()] = Entry{s, text};
    return text;
  }

 private:
  static constexpr size_t kMinSweep = 1024;
  struct Entry {
    std::weak_ptr<const Snapshot> owner;
    std::shared_ptr<const std::string> text;
  };
  // The same object, not another one made later at the same address.
  static bool SameOwner(const std::weak_ptr<const Snapshot>& cached,
                        const std::shared_ptr<const Snapshot>& s) {
    return !cached.owner_before(s) && !s.owner_before(cached);
  }

  std::mutex mu_;
  std::unordered_map<const Snapshot*, Entry> texts_;
  size_t sweep_at_ = kMinSweep;
};

SnapshotTextCache& SnapshotTexts() {
  // Never destroyed: a background checkpoint may still write metadata at exit.
  static SnapshotTextCache* cache = new SnapshotTextCache;
  return *cache;
}

json SortOrderToJson(const SortOrder& o) {
  json fields = json::array();
  for (const SortField& f : o.fields) {
    fields.push_back({{"transform", f.transform},
                      {"source-id", f.source_id},
                      {"direction", f.direction},
                      {"null-order", f.null_order}});
  }
  return {{"order-id", o.order_id}, {"fields", fields}};
}

SortOrder SortOrderFromJson(const json& j, const std::string& where) {
  SortOrder o;
  o.order_id = GetInt(j, "order-id", where);
  for (const json& f : Required(j, "fields", where)) {
    o.fields.push_back(SortField{GetString(f, "transform", where), GetInt(f, "source-id", where),
                                 GetString(f, "direction", where),
                                 GetString(f, "null-order", where)});
  }
  return o;
}

// Top-level fields of v1 and v2 metadata this codec reads or writes itself;
// every other field is carried through as extra_fields.
bool IsKnownField(const std::string& key) {
  static const char* const kKnown[] = {"format-version",
                                       "table-uuid",
                                       "location",
                                       "last-sequence-number",
                                       "last-updated-ms",
                                       "last-column-id",
                                       "schemas",
                                       "current-schema-id",
                                       "schema",
                                       "partition-specs",
                                       "default-spec-id",
                                       "partition-spec",
                                       "last-partition-id",
                                       "properties",
                                       "current-snapshot-id",
                                       "snapshots",
                                       "snapshot-log",
                                       "metadata-log",
                                       "sort-orders",
                                       "default-sort-order-id",
                                       "refs",
                                       "statistics",
                                       "partition-statistics"};
  for (const char* k : kKnown) {
    if (key == k) return true;
  }
  return false;
}

std::vector<StatisticsFileRef> StatisticsFromJson(const json& j, const char* key,
                                                  const std::string& where) {
  std::vector<StatisticsFileRef> out;
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) Bad(where, std::string("'") + key + "' is not an array");
  for (const json& e : *it) {
    if (!e.is_object()) Bad(where, std::string("an entry of '") + key + "' is not an object");
    out.push_back(
        {GetLong(e, "snapshot-id", where), GetString(e, "statistics-path", where), e.dump()});
  }
  return out;
}

json StatisticsToJson(const std::vector<StatisticsFileRef>& entries) {
  json out = json::array();
  for (const StatisticsFileRef& e : entries) out.push_back(json::parse(e.json));
  return out;
}

Schema ParseSchema(const json& j, const std::string& where) {
  try {
    return SchemaFromJson(j);
  } catch (const InvalidArgument& e) {
    Bad(where, std::string("bad schema: ") + e.what());
  }
}

}  // namespace

json PartitionFieldsToJson(const PartitionSpec& spec) {
  json fields = json::array();
  for (const PartitionField& f : spec.fields()) {
    fields.push_back({{"name", f.name},
                      {"transform", f.transform.ToString()},
                      {"source-id", f.source_id},
                      {"field-id", f.field_id}});
  }
  return fields;
}

json PartitionSpecToJson(const PartitionSpec& spec) {
  return {{"spec-id", spec.spec_id()}, {"fields", PartitionFieldsToJson(spec)}};
}

PartitionSpec PartitionSpecFromJson(const json& j, int default_spec_id) {
  const std::string where = "partition spec";
  const json* fields = &j;
  int spec_id = default_spec_id;
  if (j.is_object()) {
    spec_id = GetInt(j, "spec-id", where);
    fields = &Required(j, "fields", where);
  }
  if (!fields->is_array()) Bad(where, "partition fields are not an array");
  std::vector<PartitionField> out;
  int next_id = 1000;  // v1 specs may omit field ids
  for (const json& f : *fields) {
    PartitionField pf;
    pf.name = GetString(f, "name", where);
    pf.source_id = GetInt(f, "source-id", where);
    pf.field_id = static_cast<int>(OptLong(f, "field-id", where).value_or(next_id));
    next_id = pf.field_id + 1;
    try {
      pf.transform = Transform::Parse(GetString(f, "transform", where));
    } catch (const InvalidArgument& e) {
      throw NotSupported("partition field '" + pf.name + "': " + e.what());
    }
    out.push_back(std::move(pf));
  }
  try {
    return PartitionSpec(spec_id, std::move(out));
  } catch (const InvalidArgument& e) {
    Bad(where, e.what());
  }
}

void ValidateTableMetadata(const TableMetadata& m) {
  const std::string where = "of '" + m.location + "'";
  if (m.format_version != 2) Bad(where, "datashard writes format-version 2 only");
  if (m.table_uuid.empty()) Bad(where, "table-uuid is missing");
  if (m.SchemaById(m.current_schema_id) == nullptr) Bad(where, "current-schema-id names no schema");
  if (m.SpecById(m.default_spec_id) == nullptr)
    Bad(where, "default-spec-id names no partition spec");
  for (const Snapshot& s : m.snapshots) {
    if (s.sequence_number > m.last_sequence_number) {
      Bad(where, "snapshot " + std::to_string(s.snapshot_id) + " has sequence-number " +
                     std::to_string(s.sequence_number) + " > last-sequence-number " +
                     std::to_string(m.last_sequence_number));
    }
    if (s.operation().empty())
      Bad(where, "snapshot " + std::to_string(s.snapshot_id) + " has no operation");
  }
  if (m.current_snapshot_id && m.CurrentSnapshot() == nullptr) {
    Bad(where,
        "current-snapshot-id " + std::to_string(*m.current_snapshot_id) + " names no snapshot");
  }
  for (const auto& [name, ref] : m.refs) {
    if (m.SnapshotById(ref.snapshot_id) == nullptr) {
      Bad(where,
          "ref '" + name + "' points to unknown snapshot " + std::to_string(ref.snapshot_id));
    }
  }
  const auto main = m.refs.find("main");
  if (main != m.refs.end() &&
      (!m.current_snapshot_id || main->second.snapshot_id != *m.current_snapshot_id)) {
    Bad(where, "refs.main differs from current-snapshot-id");
  }
  if (m.current_snapshot_id && main == m.refs.end())
    Bad(where, "current snapshot without a main ref");
  for (size_t i = 1; i < m.snapshot_log.size(); ++i) {
    if (m.snapshot_log[i].timestamp_ms < m.snapshot_log[i - 1].timestamp_ms)
      Bad(where, "snapshot-log out of order");
  }
  for (size_t i = 1; i < m.metadata_log.size(); ++i) {
    if (m.metadata_log[i].timestamp_ms < m.metadata_log[i - 1].timestamp_ms)
      Bad(where, "metadata-log out of order");
  }
  constexpr int64_t kOneMinuteMs = 60000;
  if (!m.snapshot_log.empty() &&
      m.last_updated_ms + kOneMinuteMs < m.snapshot_log.back().timestamp_ms) {
    Bad(where, "last-updated-ms is more than a minute older than the snapshot log");
  }
  if (!m.metadata_log.empty() &&
      m.last_updated_ms + kOneMinuteMs < m.metadata_log.back().timestamp_ms) {
    Bad(where, "last-updated-ms is more than a minute older than the metadata log");
  }
}

std::string TableMetadataToJson(const TableMetadata& m) {
  ValidateTableMetadata(m);
  // Snapshots, logs and properties are most of the text and written on every
  // commit: they are appended directly, the small rest goes through
  // nlohmann::json. Keys come sorted, as nlohmann::json's own objects do.
  std::map<std::string, std::string> fields;
  const auto put = [&](const char* key, const json& value) { fields[key] = value.dump(); };
  put("format-version", m.format_version);
  put("table-uuid", m.table_uuid);
  put("location", m.location);
  put("last-sequence-number", m.last_sequence_number);
  put("last-updated-ms", m.last_updated_ms);
  put("last-column-id", m.last_column_id);
  put("current-schema-id", m.current_schema_id);
  json schemas = json::array();
  for (const Schema& s : m.schemas) schemas.push_back(SchemaToJson(s));
  put("schemas", schemas);
  put("default-spec-id", m.default_spec_id);
  json specs = json::array();
  for (const PartitionSpec& s : m.partition_specs) specs.push_back(PartitionSpecToJson(s));
  put("partition-specs", specs);
  put("last-partition-id", m.last_partition_id);
  put("default-sort-order-id", m.default_sort_order_id);
  json orders = json::array();
  for (const SortOrder& o : m.sort_orders) orders.push_back(SortOrderToJson(o));
  put("sort-orders", orders);
  AppendStringMap(&fields["properties"], m.properties);
  // Java writes -1 for "no current snapshot" in v1/v2 metadata.
  put("current-snapshot-id", m.current_snapshot_id.value_or(-1));
  json refs = json::object();
  for (const auto& [name, r] : m.refs) {
    json rj = {{"snapshot-id", r.snapshot_id}, {"type", r.type}};
    if (r.min_snapshots_to_keep) rj["min-snapshots-to-keep"] = *r.min_snapshots_to_keep;
    if (r.max_snapshot_age_ms) rj["max-snapshot-age-ms"] = *r.max_snapshot_age_ms;
    if (r.max_ref_age_ms) rj["max-ref-age-ms"] = *r.max_ref_age_ms;
    refs[name] = std::move(rj);
  }
  put("refs", refs);
  std::string& snapshots = fields["snapshots"];
  // Sized up front: grown step by step, the text of a hundred snapshots is
  // copied over and over on every commit.
  std::vector<std::shared_ptr<const std::string>> snapshot_texts;
  snapshot_texts.reserve(m.snapshots.size());
  size_t snapshots_size = 2;
  for (size_t i = 0; i < m.snapshots.size(); ++i) {
    snapshot_texts.push_back(SnapshotTexts().Text(m.snapshots.shared(i)));
    snapshots_size += snapshot_texts.back()->size() + 1;
  }
  snapshots.reserve(snapshots_size);
  snapshots = "[";
  for (const std::shared_ptr<const std::string>& text : snapshot_texts) {
    if (snapshots.size() > 1) snapshots += ',';
    snapshots += *text;
  }
  snapshots += ']';
  std::string& slog = fields["snapshot-log"];
  slog.reserve(2 + 64 * m.snapshot_log.size());
  slog = "[";
  for (const SnapshotLogEntry& e : m.snapshot_log) {
    if (slog.size() > 1) slog += ',';
    slog += "{\"snapshot-id\":" + std::to_string(e.snapshot_id) +
            ",\"timestamp-ms\":" + std::to_string(e.timestamp_ms) + "}";
  }
  slog += ']';
  std::string& mlog = fields["metadata-log"];
  size_t mlog_size = 2;
  for (const MetadataLogEntry& e : m.metadata_log) mlog_size += 48 + e.metadata_file.size();
  mlog.reserve(mlog_size);
  mlog = "[";
  for (const MetadataLogEntry& e : m.metadata_log) {
    if (mlog.size() > 1) mlog += ',';
    mlog += "{\"metadata-file\":";
    AppendJsonString(&mlog, e.metadata_file, "metadata-log");
    mlog += ",\"timestamp-ms\":" + std::to_string(e.timestamp_ms) + "}";
  }
  mlog += ']';
  if (!m.statistics.empty()) put("statistics", StatisticsToJson(m.statistics));
  if (!m.partition_statistics.empty())
    put("partition-statistics", StatisticsToJson(m.partition_statistics));
  for (const auto& [key, text] : m.extra_fields) {
    if (!IsKnownField(key)) fields[key] = json::parse(text).dump();
  }
  size_t out_size = 2;
  for (const auto& [key, value] : fields) out_size += key.size() + value.size() + 4;
  std::string out;
  out.reserve(out_size);
  out = "{";
  for (const auto& [key, value] : fields) {
    if (out.size() > 1) out += ',';
    AppendJsonString(&out, key, "a top-level key");
    out += ':';
    out += value;
  }
  out += '}';
  return out;
}

namespace {

// The reading side of the split above: simdjson walks the document, and the
// big, repetitive parts (snapshots, logs, properties, refs) are read from it
// directly; the small rest goes through nlohmann::json and the codecs the
// writer shares. A commit reads the newest metadata of every concurrent
// writer, so this parse sits on the commit path.
namespace dom = simdjson::dom;

std::optional<dom::element> DomField(dom::object o, const char* key) {
  dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS || e.is_null()) return std::nullopt;
  return e;
}

dom::element DomRequired(dom::object o, const char* key, const std::string& where) {
  const std::optional<dom::element> e = DomField(o, key);
  if (!e) Bad(where, std::string("missing required field '") + key + "'");
  return *e;
}

int64_t DomLongValue(dom::element e, std::string_view key, const std::string& where) {
  int64_t v = 0;
  if (e.get_int64().get(v) != simdjson::SUCCESS)
    Bad(where, "field '" + std::string(key) + "' is not an integer");
  return v;
}

int64_t DomLong(dom::object o, const char* key, const std::string& where) {
  return DomLongValue(DomRequired(o, key, where), key, where);
}

std::optional<int64_t> DomOptLong(dom::object o, const char* key, const std::string& where) {
  const std::optional<dom::element> e = DomField(o, key);
  if (!e) return std::nullopt;
  return DomLongValue(*e, key, where);
}

std::string DomString(dom::object o, const char* key, const std::string& where) {
  std::string_view v;
  if (DomRequired(o, key, where).get_string().get(v) != simdjson::SUCCESS)
    Bad(where, std::string("field '") + key + "' is not a string");
  return std::string(v);
}

dom::object DomObject(dom::element e, const std::string& where, const std::string& what) {
  dom::object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) Bad(where, what + " is not an object");
  return o;
}

// Only arrays are read: a field of another type is ignored, as before.
std::optional<dom::array> DomArray(dom::object o, const char* key) {
  dom::array a;
  const std::optional<dom::element> e = DomField(o, key);
  if (!e || e->get_array().get(a) != simdjson::SUCCESS) return std::nullopt;
  return a;
}

json ToJson(dom::element e) { return json::parse(simdjson::minify(e)); }

Snapshot SnapshotFromDom(dom::element e, const std::string& where) {
  const dom::object j = DomObject(e, where, "a snapshot");
  Snapshot s;
  s.snapshot_id = DomLong(j, "snapshot-id", where);
  s.parent_snapshot_id = DomOptLong(j, "parent-snapshot-id", where);
  s.sequence_number = DomOptLong(j, "sequence-number", where).value_or(0);  // v1: 0
  s.timestamp_ms = DomLong(j, "timestamp-ms", where);
  dom::element list;
  if (j.at_key("manifest-list").get(list) != simdjson::SUCCESS) {
    throw NotSupported(
        "table metadata " + where + ": snapshot " + std::to_string(s.snapshot_id) +
        " lists manifests inline (v1 'manifests'); only manifest lists are supported");
  }
  s.manifest_list = DomString(j, "manifest-list", where);
  if (const std::optional<dom::element> summary = DomField(j, "summary")) {
    for (const dom::key_value_pair kv : DomObject(*summary, where, "snapshot summary")) {
      std::string_view v;
      if (kv.value.get_string().get(v) != simdjson::SUCCESS)
        Bad(where, "snapshot summary value of '" + std::string(kv.key) + "' is not a string");
      s.summary.emplace_hint(s.summary.end(), std::string(kv.key), std::string(v));
    }
  }
  if (const auto id = DomOptLong(j, "schema-id", where)) s.schema_id = static_cast<int>(*id);
  return s;
}

// The snapshot of `previous` that `e` describes, looked for from *next on;
// nullptr when there is none. Compared by the fields that tell snapshots
// apart, without building the summary.
std::shared_ptr<const Snapshot> SameSnapshot(dom::element e, const SnapshotList& previous,
                                             size_t* next) {
  dom::object o;
  int64_t id = 0, sequence = 0, timestamp = 0;
  std::string_view list;
  if (e.get_object().get(o) != simdjson::SUCCESS ||
      o["snapshot-id"].get_int64().get(id) != simdjson::SUCCESS ||
      o["timestamp-ms"].get_int64().get(timestamp) != simdjson::SUCCESS ||
      o["manifest-list"].get_string().get(list) != simdjson::SUCCESS) {
    return nullptr;
  }
  if (o["sequence-number"].get_int64().get(sequence) != simdjson::SUCCESS) sequence = 0;
  for (size_t i = *next; i < previous.size(); ++i) {
    const Snapshot& p = previous[i];
    if (p.snapshot_id != id) continue;
    *next = i + 1;
    if (p.sequence_number != sequence || p.timestamp_ms != timestamp || p.manifest_list != list)
      return nullptr;
    return previous.shared(i);
  }
  return nullptr;
}

// simdjson's parser, its document and a padded copy of the text, kept per
// thread with room to spare. simdjson sizes each buffer to exactly the text
// it is given (and copies a text without padding into a new one), so
// metadata that grows by a few bytes per commit made every parse allocate
// and page in about 2 MB afresh: a third of the parse's time.
class MetadataParser {
 public:
  simdjson::error_code Parse(const std::string& text, dom::element* root) {
    if (text.size() > capacity_) {
      const size_t capacity = text.size() + text.size() / 4;
      if (const simdjson::error_code e = parser_.allocate(capacity)) return e;
      if (const simdjson::error_code e = doc_.allocate(capacity)) return e;
      capacity_ = capacity;
      padded_.reserve(capacity + simdjson::SIMDJSON_PADDING);
    }
    padded_.assign(text);
    return parser_.parse_into_document(doc_, padded_.data(), padded_.size(), false).get(*root);
  }

 private:
  dom::parser parser_;
  dom::document doc_;
  std::string padded_;  // capacity_ + SIMDJSON_PADDING bytes reserved
  size_t capacity_ = 0;
};

}  // namespace

TableMetadata TableMetadataFromJson(const std::string& text, const std::string& where,
                                    const TableMetadata* previous) {
  thread_local MetadataParser parser;
  dom::element doc;
  if (const simdjson::error_code error = parser.Parse(text, &doc)) {
    Bad(where, std::string("not JSON: ") + simdjson::error_message(error));
  }
  dom::object j;
  if (doc.get_object().get(j) != simdjson::SUCCESS) Bad(where, "not a JSON object");
  TableMetadata m;
  m.format_version = static_cast<int>(DomLong(j, "format-version", where));
  if (m.format_version > 2 || m.format_version < 1) {
    throw NotSupported("table metadata " + where + " has format-version " +
                       std::to_string(m.format_version) + "; datashard reads versions 1 and 2");
  }
  const bool v1 = m.format_version == 1;
  if (v1) {
    std::string_view uuid;
    if (const auto e = DomField(j, "table-uuid");
        e && e->get_string().get(uuid) == simdjson::SUCCESS)
      m.table_uuid = std::string(uuid);
  } else {
    m.table_uuid = DomString(j, "table-uuid", where);
  }
  m.location = DomString(j, "location", where);
  m.last_sequence_number = v1 ? DomOptLong(j, "last-sequence-number", where).value_or(0)
                              : DomLong(j, "last-sequence-number", where);
  m.last_updated_ms = DomLong(j, "last-updated-ms", where);
  m.last_column_id = static_cast<int>(DomLong(j, "last-column-id", where));
  m.schemas.clear();
  if (const auto schemas = DomArray(j, "schemas")) {
    for (const dom::element s : *schemas) m.schemas.push_back(ParseSchema(ToJson(s), where));
    m.current_schema_id = static_cast<int>(DomLong(j, "current-schema-id", where));
  } else if (v1) {
    m.schemas.push_back(ParseSchema(ToJson(DomRequired(j, "schema", where)), where));
    m.current_schema_id = m.schemas.back().schema_id();
  } else {
    Bad(where, "missing required field 'schemas'");
  }
  if (const auto specs = DomArray(j, "partition-specs")) {
    for (const dom::element s : *specs)
      m.partition_specs.push_back(PartitionSpecFromJson(ToJson(s), 0));
    m.default_spec_id = static_cast<int>(DomLong(j, "default-spec-id", where));
  } else if (v1) {
    m.partition_specs.push_back(
        PartitionSpecFromJson(ToJson(DomRequired(j, "partition-spec", where)), 0));
    m.default_spec_id = 0;
  } else {
    Bad(where, "missing required field 'partition-specs'");
  }
  int last_partition = 999;
  for (const PartitionSpec& s : m.partition_specs)
    last_partition = std::max(last_partition, s.last_field_id());
  m.last_partition_id =
      static_cast<int>(DomOptLong(j, "last-partition-id", where).value_or(last_partition));
  dom::object properties;
  if (const auto e = DomField(j, "properties");
      e && e->get_object().get(properties) == simdjson::SUCCESS) {
    for (const dom::key_value_pair kv : properties) {
      std::string_view v;
      if (kv.value.get_string().get(v) != simdjson::SUCCESS)
        Bad(where, "property '" + std::string(kv.key) + "' is not a string");
      m.properties[std::string(kv.key)] = std::string(v);
    }
  }
  const auto current = DomOptLong(j, "current-snapshot-id", where);
  if (current && *current != -1) m.current_snapshot_id = current;
  if (const auto snapshots = DomArray(j, "snapshots")) {
    m.snapshots.reserve(snapshots->size());
    size_t next = 0;  // where previous snapshots are looked for: both lists are in order
    for (const dom::element s : *snapshots) {
      std::shared_ptr<const Snapshot> same;
      if (previous != nullptr) same = SameSnapshot(s, previous->snapshots, &next);
      if (same)
        m.snapshots.push_back(std::move(same));
      else
        m.snapshots.push_back(SnapshotFromDom(s, where));
    }
  }
  if (const auto log = DomArray(j, "snapshot-log")) {
    for (const dom::element e : *log) {
      const dom::object o = DomObject(e, where, "a snapshot-log entry");
      m.snapshot_log.push_back(
          {DomLong(o, "timestamp-ms", where), DomLong(o, "snapshot-id", where)});
    }
  }
  if (const auto log = DomArray(j, "metadata-log")) {
    for (const dom::element e : *log) {
      const dom::object o = DomObject(e, where, "a metadata-log entry");
      m.metadata_log.push_back(
          {DomLong(o, "timestamp-ms", where), DomString(o, "metadata-file", where)});
    }
  }
  m.sort_orders.clear();
  if (const auto orders = DomArray(j, "sort-orders")) {
    for (const dom::element o : *orders)
      m.sort_orders.push_back(SortOrderFromJson(ToJson(o), where));
    m.default_sort_order_id = static_cast<int>(DomLong(j, "default-sort-order-id", where));
  } else {
    m.sort_orders.push_back(SortOrder{});
  }
  dom::object refs;
  if (const auto e = DomField(j, "refs"); e && e->get_object().get(refs) == simdjson::SUCCESS) {
    for (const dom::key_value_pair kv : refs) {
      const dom::object r = DomObject(kv.value, where, "ref '" + std::string(kv.key) + "'");
      SnapshotRef ref;
      ref.snapshot_id = DomLong(r, "snapshot-id", where);
      ref.type = DomString(r, "type", where);
      if (const auto v = DomOptLong(r, "min-snapshots-to-keep", where))
        ref.min_snapshots_to_keep = static_cast<int>(*v);
      ref.max_snapshot_age_ms = DomOptLong(r, "max-snapshot-age-ms", where);
      ref.max_ref_age_ms = DomOptLong(r, "max-ref-age-ms", where);
      m.refs[std::string(kv.key)] = ref;
    }
  } else if (m.current_snapshot_id) {
    m.refs["main"] = SnapshotRef{*m.current_snapshot_id};
  }
  json statistics = json::object();
  for (const char* key : {"statistics", "partition-statistics"}) {
    dom::element e;
    if (j.at_key(key).get(e) == simdjson::SUCCESS) statistics[key] = ToJson(e);
  }
  m.statistics = StatisticsFromJson(statistics, "statistics", where);
  m.partition_statistics = StatisticsFromJson(statistics, "partition-statistics", where);
  for (const dom::key_value_pair kv : j) {
    const std::string key(kv.key);
    if (!IsKnownField(key)) m.extra_fields[key] = ToJson(kv.value).dump();
  }
  if (m.SchemaById(m.current_schema_id) == nullptr) Bad(where, "current-schema-id names no schema");
  if (m.SpecById(m.default_spec_id) == nullptr)
    Bad(where, "default-spec-id names no partition spec");
  if (m.current_snapshot_id && m.CurrentSnapshot() == nullptr) {
    Bad(where,
        "current-snapshot-id " + std::to_string(*m.current_snapshot_id) + " names no snapshot");
  }
  return m;
}

}  // namespace datashard

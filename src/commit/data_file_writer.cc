#include "commit/data_file_writer.h"

#include <memory>
#include <set>

#include "datashard/errors.h"
#include "format/json/value_json.h"
#include "format/parquet/parquet_writer.h"
#include "metadata/table_metadata_json.h"
#include "util/uuid.h"

namespace datashard {
namespace {

constexpr const char* kColumnMetricsPrefix = "write.metadata.metrics.column.";

std::vector<uint32_t> DecodeUtf8(const std::string& s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c >= 0xf0 ? 3 : (c >= 0xe0 ? 2 : 1));
    uint32_t cp = n == 0 ? c : (c & (0x3f >> n));
    for (size_t k = 1; k <= n && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    }
    out.push_back(cp);
    i += n + 1;
  }
  return out;
}

std::string EncodeUtf8(const std::vector<uint32_t>& cps) {
  std::string out;
  for (uint32_t cp : cps) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }
  return out;
}

bool IsTruncatable(const DataType& type) {
  return type.id == TypeId::kString || type.id == TypeId::kBinary;
}

MetricsMode ModeFor(const TableMetadata& metadata, const std::string& column) {
  const auto it = metadata.properties.find(kColumnMetricsPrefix + column);
  if (it != metadata.properties.end()) return MetricsMode::Parse(it->second);
  return MetricsMode::Parse(metadata.Property(table_properties::kMetricsDefault,
                                              table_properties::kMetricsDefaultDefault));
}

// Creates `dir` under `root` and, for each folder it had to create, syncs
// the parent so that the new folder's name survives a power loss.
void CreateDurableDirs(FileIO& io, const std::string& root, const std::string& dir) {
  std::vector<std::string> missing;
  for (std::string d = dir; d.size() > root.size() && !io.Exists(d);
       d = d.substr(0, d.rfind('/'))) {
    missing.push_back(d);
  }
  io.CreateDirs(dir);
  for (const std::string& d : missing) io.SyncDir(d.substr(0, d.rfind('/')));
}

}  // namespace

MetricsMode MetricsMode::Parse(const std::string& text) {
  if (text == "none") return {Kind::kNone, 0};
  if (text == "counts") return {Kind::kCounts, 0};
  if (text == "full") return {Kind::kFull, 0};
  if (text.size() > 10 && text.compare(0, 9, "truncate(") == 0 && text.back() == ')') {
    const std::string n = text.substr(9, text.size() - 10);
    size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(n, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == n.size() && v > 0) return {Kind::kTruncate, v};
  }
  throw InvalidArgument("metrics mode '" + text + "' is not none, counts, truncate(N) or full");
}

Value TruncateLowerBound(const DataType& type, const Value& v, int n) {
  if (type.id == TypeId::kString) {
    const std::vector<uint32_t> cps = DecodeUtf8(v.as_bytes());
    if (cps.size() <= static_cast<size_t>(n)) return v;
    return EncodeUtf8(std::vector<uint32_t>(cps.begin(), cps.begin() + n));
  }
  if (type.id == TypeId::kBinary && v.as_bytes().size() > static_cast<size_t>(n)) {
    return v.as_bytes().substr(0, static_cast<size_t>(n));
  }
  return v;
}

std::optional<Value> TruncateUpperBound(const DataType& type, const Value& v, int n) {
  if (type.id == TypeId::kString) {
    std::vector<uint32_t> cps = DecodeUtf8(v.as_bytes());
    if (cps.size() <= static_cast<size_t>(n)) return v;
    cps.resize(static_cast<size_t>(n));
    while (!cps.empty()) {
      uint32_t next = cps.back() + 1;
      if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
      if (next <= 0x10ffff) {
        cps.back() = next;
        return Value(EncodeUtf8(cps));
      }
      cps.pop_back();
    }
    return std::nullopt;
  }
  if (type.id == TypeId::kBinary && v.as_bytes().size() > static_cast<size_t>(n)) {
    std::string b = v.as_bytes().substr(0, static_cast<size_t>(n));
    while (!b.empty()) {
      const auto last = static_cast<unsigned char>(b.back());
      if (last != 0xff) {
        b.back() = static_cast<char>(last + 1);
        return Value(b);
      }
      b.pop_back();
    }
    return std::nullopt;
  }
  return v;
}

ManifestContext NewManifestContext(const TableMetadata& metadata, const PartitionSpec& spec,
                                   FileContent content) {
  const Schema& schema = metadata.CurrentSchema();
  ManifestContext ctx;
  ctx.schema_json = SchemaToJson(schema).dump();
  ctx.schema_id = schema.schema_id();
  ctx.partition_spec_json = PartitionFieldsToJson(spec).dump();
  ctx.partition_spec_id = spec.spec_id();
  const std::vector<DataType> types = spec.ResultTypes(schema);
  for (size_t i = 0; i < spec.fields().size(); ++i) {
    ctx.partition_fields.push_back(
        PartitionFieldType{spec.fields()[i].field_id, spec.fields()[i].name, types[i]});
  }
  ctx.content = content;
  return ctx;
}

ManifestContext DataManifestContext(const TableMetadata& metadata) {
  return NewManifestContext(metadata, metadata.DefaultSpec(), FileContent::kData);
}

DataFile WriteDataFile(FileIO& io, const TableMetadata& metadata, const PartitionGroup& group,
                       SyncGroup& sync) {
  const Schema& schema = metadata.CurrentSchema();
  const PartitionSpec& spec = metadata.DefaultSpec();
  const std::string data_root = metadata.location + "/data";
  std::string dir = data_root;
  if (!spec.is_unpartitioned()) dir += "/" + spec.PartitionPath(schema, group.partition);
  const std::string path = dir + "/" + Uuid::Random().ToString() + ".parquet";

  parquet::WriterOptions options;
  options.codec = parquet::ParseCodec(metadata.Property(
      table_properties::kParquetCompression, table_properties::kParquetCompressionDefault));
  options.sync_group = &sync;
  // The folder almost always exists: making it only when the create says it
  // is missing saves a mkdir per path component on every commit.
  std::unique_ptr<WritableFile> out;
  try {
    out = io.Create(path);
  } catch (const NotFound&) {
    CreateDurableDirs(io, metadata.location, dir);
    out = io.Create(path);
  }
  parquet::WriteResult result;
  {
    parquet::ParquetWriter writer(std::move(out), schema, options);
    writer.Write(group.columns);
    result = writer.Finish();
  }

  DataFile file;
  file.file_path = path;
  file.partition = group.partition;
  file.record_count = result.record_count;
  file.file_size_in_bytes = result.file_size;
  file.split_offsets = result.row_group_offsets;
  file.sort_order_id = 0;
  for (const Field& f : schema.fields()) {
    const auto it = result.columns.find(f.id);
    if (it == result.columns.end()) continue;
    const parquet::ColumnMetrics& m = it->second;
    const MetricsMode mode = ModeFor(metadata, f.name);
    if (mode.kind == MetricsMode::Kind::kNone) continue;
    file.column_sizes[f.id] = m.compressed_size;
    file.value_counts[f.id] = m.value_count;
    file.null_value_counts[f.id] = m.null_count;
    if (m.nan_count) file.nan_value_counts[f.id] = *m.nan_count;
    if (mode.kind == MetricsMode::Kind::kCounts) continue;
    const bool truncate = mode.kind == MetricsMode::Kind::kTruncate && IsTruncatable(f.type);
    if (m.lower_bound) {
      const Value lower =
          truncate ? TruncateLowerBound(f.type, *m.lower_bound, mode.length) : *m.lower_bound;
      file.lower_bounds[f.id] = SerializeSingleValue(f.type, lower);
    }
    if (m.upper_bound) {
      const std::optional<Value> upper =
          truncate ? TruncateUpperBound(f.type, *m.upper_bound, mode.length) : m.upper_bound;
      if (upper) file.upper_bounds[f.id] = SerializeSingleValue(f.type, *upper);
    }
  }
  return file;
}

}  // namespace datashard

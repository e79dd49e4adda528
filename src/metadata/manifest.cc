// Manifests and manifest lists as Avro files (manifest.h).
#include "metadata/manifest.h"

#include <cmath>
#include <functional>
#include <initializer_list>

#include "datashard/errors.h"
#include "format/avro/avro_file.h"
#include "metadata/file_location.h"
#include "metadata/manifest_avro.h"

namespace datashard {

namespace {

using Json = nlohmann::ordered_json;

// ---------- writing ----------

AvroValue OptionalLong(const std::optional<int64_t>& v) {
  return v ? AvroValue::Long(*v) : AvroValue::Null();
}

template <typename V, typename ToAvro>
AvroValue IntMap(const std::map<int, V>& m, ToAvro to_avro) {
  if (m.empty()) return AvroValue::Null();
  AvroValue::Array items;
  items.reserve(m.size());
  for (const auto& [k, v] : m) {
    items.push_back(AvroValue::Record({AvroValue::Int(k), to_avro(v)}));
  }
  return AvroValue::MakeArray(std::move(items));
}

AvroValue LongMap(const std::map<int, int64_t>& m) { return IntMap(m, AvroValue::Long); }
AvroValue BytesMap(const std::map<int, std::string>& m) { return IntMap(m, AvroValue::Bytes); }

bool IsDeleteContent(FileContent c) { return c != FileContent::kData; }

void CheckEntry(const std::string& path, size_t index, const ManifestEntry& e,
                const ManifestContext& context) {
  auto fail = [&](const std::string& what) {
    throw InvalidArgument("manifest " + path + ": entry " + std::to_string(index) + " (" +
                          e.data_file.file_path + "): " + what);
  };
  const DataFile& f = e.data_file;
  if (f.file_path.empty()) fail("empty file_path");
  if (IsDeleteContent(f.content) != IsDeleteContent(context.content)) {
    fail(std::string("a ") + (IsDeleteContent(f.content) ? "delete" : "data") + " file in a " +
         (IsDeleteContent(context.content) ? "delete" : "data") + " manifest");
  }
  if (f.record_count < 0 || f.file_size_in_bytes < 0) fail("negative record count or size");
  if ((f.content == FileContent::kEqualityDeletes) == f.equality_ids.empty()) {
    fail("equality_ids must be set exactly for equality delete files");
  }
  if (f.partition.size() != context.partition_fields.size()) {
    fail("has " + std::to_string(f.partition.size()) + " partition values, the spec has " +
         std::to_string(context.partition_fields.size()) + " fields");
  }
  for (size_t i = 0; i < f.partition.size(); ++i) {
    if (!f.partition[i].Fits(context.partition_fields[i].type)) {
      fail("partition value of " + context.partition_fields[i].name + " is not a " +
           context.partition_fields[i].type.ToString());
    }
  }
  if (e.status != EntryStatus::kAdded &&
      (!e.snapshot_id || !e.sequence_number || !e.file_sequence_number)) {
    fail("EXISTING and DELETED entries need snapshot_id and both sequence numbers");
  }
}

AvroValue EntryToAvro(const ManifestEntry& e, const ManifestContext& context, int64_t snapshot_id) {
  const DataFile& f = e.data_file;
  AvroValue::Array partition;
  for (size_t i = 0; i < f.partition.size(); ++i) {
    partition.push_back(PartitionValueToAvro(context.partition_fields[i].type, f.partition[i]));
  }
  AvroValue::Array split_offsets, equality_ids;
  for (int64_t o : f.split_offsets) split_offsets.push_back(AvroValue::Long(o));
  for (int id : f.equality_ids) equality_ids.push_back(AvroValue::Int(id));
  AvroValue data_file = AvroValue::Record({
      AvroValue::Int(static_cast<int32_t>(f.content)),
      AvroValue::String(f.file_path),
      AvroValue::String(f.file_format),
      AvroValue::Record(std::move(partition)),
      AvroValue::Long(f.record_count),
      AvroValue::Long(f.file_size_in_bytes),
      LongMap(f.column_sizes),
      LongMap(f.value_counts),
      LongMap(f.null_value_counts),
      LongMap(f.nan_value_counts),
      BytesMap(f.lower_bounds),
      BytesMap(f.upper_bounds),
      AvroValue::Null(),  // key_metadata: datashard does not encrypt
      split_offsets.empty() ? AvroValue::Null() : AvroValue::MakeArray(std::move(split_offsets)),
      equality_ids.empty() ? AvroValue::Null() : AvroValue::MakeArray(std::move(equality_ids)),
      f.sort_order_id ? AvroValue::Int(*f.sort_order_id) : AvroValue::Null(),
      f.referenced_data_file ? AvroValue::String(*f.referenced_data_file) : AvroValue::Null(),
  });
  const bool added = e.status == EntryStatus::kAdded;
  return AvroValue::Record({
      AvroValue::Int(static_cast<int32_t>(e.status)),
      // ADDED entries without one inherit it from the manifest list, so a
      // group publication can list the manifest under its own snapshot.
      e.snapshot_id ? AvroValue::Long(*e.snapshot_id)
                    : (added ? AvroValue::Null() : AvroValue::Long(snapshot_id)),
      // ADDED entries inherit both from the manifest list, unless the data
      // sequence number is explicitly older than the commit's.
      OptionalLong(e.sequence_number),
      added ? AvroValue::Null() : OptionalLong(e.file_sequence_number),
      std::move(data_file),
  });
}

std::vector<PartitionFieldSummary> Summarize(const ManifestContext& context,
                                             const std::vector<ManifestEntry>& entries) {
  std::vector<PartitionFieldSummary> out;
  for (size_t i = 0; i < context.partition_fields.size(); ++i) {
    const DataType& type = context.partition_fields[i].type;
    PartitionFieldSummary s;
    s.contains_nan = false;
    const Value* lower = nullptr;
    const Value* upper = nullptr;
    for (const auto& e : entries) {
      if (e.status == EntryStatus::kDeleted) continue;
      const Value& v = e.data_file.partition[i];
      if (v.is_null()) {
        s.contains_null = true;
        continue;
      }
      if ((type.id == TypeId::kFloat && std::isnan(v.as_float())) ||
          (type.id == TypeId::kDouble && std::isnan(v.as_double()))) {
        s.contains_nan = true;
        continue;
      }
      if (lower == nullptr || CompareValues(type, v, *lower) < 0) lower = &v;
      if (upper == nullptr || CompareValues(type, v, *upper) > 0) upper = &v;
    }
    if (lower != nullptr) s.lower_bound = SerializeSingleValue(type, *lower);
    if (upper != nullptr) s.upper_bound = SerializeSingleValue(type, *upper);
    out.push_back(std::move(s));
  }
  return out;
}

// Writes `bytes` as the new file `path`, fsynced or handed to `sync`;
// AlreadyExists if taken. A failed write removes the partial file.
void WriteNewFile(FileIO& io, const std::string& path, const std::string& bytes, SyncGroup* sync) {
  auto file = io.Create(path);
  try {
    file->Append(bytes);
    if (sync != nullptr) {
      sync->Add(std::move(file));
    } else {
      file->Sync();
      file->Close();
    }
  } catch (...) {
    file.reset();
    try {
      io.Delete(path);
    } catch (const Error&) {
      // The write error is what the caller must see; a leftover file is an
      // orphan that gc collects.
    }
    throw;
  }
}

// ---------- reading ----------

// A field of a decoded record found by field id, else by one of its names.
struct FieldRef {
  const AvroNode* type = nullptr;  // unions unwrapped to the branch read
  const AvroValue* value = nullptr;
  bool present() const { return value != nullptr && !value->is_null(); }
};

// `id` < 0: by name only.
int FindField(const AvroNode& record, int id, std::initializer_list<const char*> names) {
  int index = id < 0 ? -1 : record.FieldIndexById(id);
  for (const char* name : names) {
    if (index >= 0) break;
    index = record.FieldIndex(name);
  }
  return index;
}

FieldRef Unwrap(const AvroNode* type, const AvroValue* value) {
  if (type->type == AvroType::kUnion && value->branch() >= 0) {
    type = type->branches[value->branch()].get();
  }
  return {type, value};
}

FieldRef GetField(const AvroNode& record, const AvroValue& value, int index) {
  if (index < 0) return {};
  return Unwrap(record.fields[index].type.get(), &value.AsRecord()[index]);
}

// Field indexes of a writer's schema, resolved once per file.
struct EntryLayout {
  int status, snapshot_id, sequence_number, file_sequence_number, data_file;
  const AvroNode* data_file_type = nullptr;
  int content, file_path, file_format, partition, record_count, file_size, column_sizes,
      value_counts, null_value_counts, nan_value_counts, lower_bounds, upper_bounds, split_offsets,
      equality_ids, sort_order_id, referenced_data_file;
};

const AvroNode* RecordType(const AvroNode* type) {
  if (type->type == AvroType::kUnion) {
    for (const auto& b : type->branches) {
      if (b->type == AvroType::kRecord) return b.get();
    }
  }
  return type->type == AvroType::kRecord ? type : nullptr;
}

EntryLayout ResolveEntryLayout(const AvroNode& entry, const std::string& path) {
  if (entry.type != AvroType::kRecord) {
    throw Corruption(path + ": manifest schema is not a record");
  }
  EntryLayout l{};
  l.status = FindField(entry, 0, {"status"});
  l.snapshot_id = FindField(entry, 1, {"snapshot_id"});
  l.sequence_number = FindField(entry, 3, {"sequence_number"});
  l.file_sequence_number = FindField(entry, 4, {"file_sequence_number"});
  l.data_file = FindField(entry, 2, {"data_file"});
  if (l.status < 0 || l.data_file < 0 ||
      (l.data_file_type = RecordType(entry.fields[l.data_file].type.get())) == nullptr) {
    throw Corruption(path + ": manifest schema lacks status or the data_file record");
  }
  const AvroNode& d = *l.data_file_type;
  l.content = FindField(d, 134, {"content"});
  l.file_path = FindField(d, 100, {"file_path"});
  l.file_format = FindField(d, 101, {"file_format"});
  l.partition = FindField(d, 102, {"partition"});
  l.record_count = FindField(d, 103, {"record_count"});
  l.file_size = FindField(d, 104, {"file_size_in_bytes"});
  l.column_sizes = FindField(d, 108, {"column_sizes"});
  l.value_counts = FindField(d, 109, {"value_counts"});
  l.null_value_counts = FindField(d, 110, {"null_value_counts"});
  l.nan_value_counts = FindField(d, 137, {"nan_value_counts"});
  l.lower_bounds = FindField(d, 125, {"lower_bounds"});
  l.upper_bounds = FindField(d, 128, {"upper_bounds"});
  l.split_offsets = FindField(d, 132, {"split_offsets"});
  l.equality_ids = FindField(d, 135, {"equality_ids"});
  l.sort_order_id = FindField(d, 140, {"sort_order_id"});
  l.referenced_data_file = FindField(d, 143, {"referenced_data_file"});
  if (l.file_path < 0 || l.file_format < 0 || l.partition < 0 || l.record_count < 0 ||
      l.file_size < 0 || RecordType(d.fields[l.partition].type.get()) == nullptr) {
    throw Corruption(path +
                     ": data_file lacks a required field (file_path, file_format, "
                     "partition, record_count or file_size_in_bytes)");
  }
  return l;
}

std::optional<int64_t> OptionalLongOf(const FieldRef& f) {
  if (!f.present()) return std::nullopt;
  return f.value->AsLong();
}

// An Iceberg map<int, V>: an array of key/value records, or an Avro map.
template <typename V>
std::map<int, V> ReadIntMap(const FieldRef& f, const std::function<V(const AvroValue&)>& read) {
  std::map<int, V> out;
  if (!f.present()) return out;
  if (f.type->type == AvroType::kMap) {
    for (const auto& [k, v] : f.value->AsMap()) {
      try {
        out[std::stoi(k)] = read(v);
      } catch (const std::logic_error&) {
        throw InvalidArgument("map key \"" + k + "\" is not an int");
      }
    }
    return out;
  }
  const AvroNode* item = f.type->items.get();
  if (item == nullptr || item->type != AvroType::kRecord) {
    throw InvalidArgument("metrics map is neither an Avro map nor an array of records");
  }
  const int key = FindField(*item, -1, {"key"});
  const int value = FindField(*item, -1, {"value"});
  if (key < 0 || value < 0) throw InvalidArgument("metrics map items lack key or value");
  for (const auto& kv : f.value->AsArray()) {
    const FieldRef k = GetField(*item, kv, key);
    const FieldRef v = GetField(*item, kv, value);
    if (!k.present() || !v.present()) continue;
    out[k.value->AsInt()] = read(*v.value);
  }
  return out;
}

std::map<int, int64_t> ReadLongMap(const FieldRef& f) {
  return ReadIntMap<int64_t>(f, [](const AvroValue& v) { return v.AsLong(); });
}

std::map<int, std::string> ReadBytesMap(const FieldRef& f) {
  return ReadIntMap<std::string>(f, [](const AvroValue& v) { return v.AsBytes(); });
}

ManifestEntry EntryFromAvro(const AvroNode& schema, const EntryLayout& l, const AvroValue& v) {
  ManifestEntry e;
  const int32_t status = GetField(schema, v, l.status).value->AsInt();
  if (status < 0 || status > 2) throw InvalidArgument("status " + std::to_string(status));
  e.status = static_cast<EntryStatus>(status);
  e.snapshot_id = OptionalLongOf(GetField(schema, v, l.snapshot_id));
  e.sequence_number = OptionalLongOf(GetField(schema, v, l.sequence_number));
  e.file_sequence_number = OptionalLongOf(GetField(schema, v, l.file_sequence_number));
  const FieldRef df = GetField(schema, v, l.data_file);
  if (!df.present()) throw InvalidArgument("data_file is null");
  const AvroNode& d = *df.type;
  const AvroValue& dv = *df.value;
  DataFile& f = e.data_file;
  if (const FieldRef c = GetField(d, dv, l.content); c.present()) {
    const int32_t content = c.value->AsInt();
    if (content < 0 || content > 2) throw InvalidArgument("content " + std::to_string(content));
    f.content = static_cast<FileContent>(content);
  }
  f.file_path = GetField(d, dv, l.file_path).value->AsBytes();
  f.file_format = GetField(d, dv, l.file_format).value->AsBytes();
  const FieldRef p = GetField(d, dv, l.partition);
  if (!p.present()) throw InvalidArgument("partition is null");
  const auto& pvalues = p.value->AsRecord();
  for (size_t i = 0; i < pvalues.size(); ++i) {
    const FieldRef pf = Unwrap(p.type->fields[i].type.get(), &pvalues[i]);
    f.partition.push_back(PartitionValueFromAvro(*pf.type, *pf.value));
  }
  f.record_count = GetField(d, dv, l.record_count).value->AsLong();
  f.file_size_in_bytes = GetField(d, dv, l.file_size).value->AsLong();
  f.column_sizes = ReadLongMap(GetField(d, dv, l.column_sizes));
  f.value_counts = ReadLongMap(GetField(d, dv, l.value_counts));
  f.null_value_counts = ReadLongMap(GetField(d, dv, l.null_value_counts));
  f.nan_value_counts = ReadLongMap(GetField(d, dv, l.nan_value_counts));
  f.lower_bounds = ReadBytesMap(GetField(d, dv, l.lower_bounds));
  f.upper_bounds = ReadBytesMap(GetField(d, dv, l.upper_bounds));
  if (const FieldRef s = GetField(d, dv, l.split_offsets); s.present()) {
    for (const auto& o : s.value->AsArray()) f.split_offsets.push_back(o.AsLong());
  }
  if (const FieldRef q = GetField(d, dv, l.equality_ids); q.present()) {
    for (const auto& id : q.value->AsArray()) f.equality_ids.push_back(id.AsInt());
  }
  if (const FieldRef s = GetField(d, dv, l.sort_order_id); s.present()) {
    f.sort_order_id = s.value->AsInt();
  }
  if (const FieldRef r = GetField(d, dv, l.referenced_data_file); r.present()) {
    f.referenced_data_file = r.value->AsBytes();
  }
  return e;
}

// Reads every object of an Avro file, turning decoding and type errors into
// Corruption naming the file and the object.
void ForEachObject(AvroFileReader& reader, const std::string& path, const char* what,
                   const std::function<void(const AvroValue&)>& visit) {
  AvroValue v;
  size_t index = 0;
  while (reader.Next(&v)) {
    try {
      visit(v);
    } catch (const Corruption& e) {
      throw Corruption(path + ": " + what + " " + std::to_string(index) + ": " + e.what());
    } catch (const InvalidArgument& e) {
      throw Corruption(path + ": " + what + " " + std::to_string(index) + ": " + e.what());
    }
    ++index;
  }
}

int64_t ParseLongKey(const AvroFileReader& reader, const std::string& key,
                     const std::string& path) {
  const std::string* text = reader.Metadata(key);
  if (text == nullptr) throw Corruption(path + ": header lacks " + key);
  try {
    size_t used = 0;
    const int64_t v = std::stoll(*text, &used);
    if (used == text->size()) return v;
  } catch (const std::logic_error&) {
  }
  throw Corruption(path + ": header " + key + " is not a number: \"" + *text + "\"");
}

}  // namespace

ManifestFile WriteManifest(FileIO& io, const std::string& path, const ManifestContext& context,
                           int64_t snapshot_id, const std::vector<ManifestEntry>& entries,
                           SyncGroup* sync) {
  for (size_t i = 0; i < entries.size(); ++i) CheckEntry(path, i, entries[i], context);
  const bool deletes = IsDeleteContent(context.content);
  AvroFileWriter writer(
      ManifestEntryAvroSchema(context.partition_fields), AvroCodec::kDeflate,
      {{"schema", context.schema_json},
       {"schema-id", std::to_string(context.schema_id)},
       {"partition-spec", context.partition_spec_json.empty() ? "[]" : context.partition_spec_json},
       {"partition-spec-id", std::to_string(context.partition_spec_id)},
       {"format-version", "2"},
       {"content", deletes ? "deletes" : "data"}});
  ManifestFile m;
  m.manifest_path = path;
  m.partition_spec_id = context.partition_spec_id;
  m.content = deletes ? FileContent::kPositionDeletes : FileContent::kData;
  m.added_snapshot_id = snapshot_id;
  for (size_t i = 0; i < entries.size(); ++i) {
    const ManifestEntry& e = entries[i];
    try {
      writer.Append(EntryToAvro(e, context, snapshot_id));
    } catch (const InvalidArgument& err) {
      throw InvalidArgument("manifest " + path + ": entry " + std::to_string(i) + ": " +
                            err.what());
    }
    const int64_t rows = e.data_file.record_count;
    switch (e.status) {
      case EntryStatus::kAdded:
        ++m.added_files_count;
        m.added_rows_count += rows;
        break;
      case EntryStatus::kExisting:
        ++m.existing_files_count;
        m.existing_rows_count += rows;
        break;
      case EntryStatus::kDeleted:
        ++m.deleted_files_count;
        m.deleted_rows_count += rows;
        break;
    }
  }
  m.partitions = Summarize(context, entries);
  const std::string bytes = writer.Finish();
  WriteNewFile(io, path, bytes, sync);
  m.manifest_length = static_cast<int64_t>(bytes.size());
  return m;
}

std::vector<ManifestEntry> ReadManifest(FileIO& io, const ManifestFile& manifest) {
  const std::string& path = manifest.manifest_path;
  AvroFileReader reader(io.ReadFile(LocalFilePath(path, "manifest")), path);
  const EntryLayout layout = ResolveEntryLayout(*reader.schema(), path);
  const std::string* version = reader.Metadata("format-version");
  // v1 manifests and manifests a v1 table wrote (list sequence number 0)
  // read as sequence number 0 (spec "Sequence Number Inheritance").
  const bool v1 = manifest.sequence_number == 0 || (version != nullptr && *version == "1");
  std::vector<ManifestEntry> entries;
  // The list's counts, when right, spare moving every entry as the vector
  // grows.
  entries.reserve(EntriesToReserve(manifest.entry_count()));
  ForEachObject(reader, path, "entry", [&](const AvroValue& v) {
    ManifestEntry e = EntryFromAvro(*reader.schema(), layout, v);
    if (!e.snapshot_id) e.snapshot_id = manifest.added_snapshot_id;
    if (e.status == EntryStatus::kAdded || v1) {
      if (!e.sequence_number) e.sequence_number = manifest.sequence_number;
      if (!e.file_sequence_number) e.file_sequence_number = manifest.sequence_number;
    } else if (!e.sequence_number || !e.file_sequence_number) {
      throw Corruption("an EXISTING or DELETED entry without its sequence numbers");
    }
    entries.push_back(std::move(e));
  });
  return entries;
}

std::shared_ptr<const std::vector<ManifestFile>> ReadManifestList(FileIO& io,
                                                                  const std::string& path,
                                                                  ManifestListMemo* memo) {
  const auto read = [&] {
    return std::make_shared<const std::vector<ManifestFile>>(ReadManifestList(io, path));
  };
  return memo ? memo->Get(path, read) : read();
}

ManifestContext ReadManifestContext(FileIO& io, const std::string& path) {
  AvroFileReader reader(io.ReadFile(LocalFilePath(path, "manifest")), path);
  const EntryLayout layout = ResolveEntryLayout(*reader.schema(), path);
  ManifestContext c;
  if (const std::string* schema = reader.Metadata("schema")) c.schema_json = *schema;
  if (reader.Metadata("schema-id") != nullptr) {
    c.schema_id = static_cast<int>(ParseLongKey(reader, "schema-id", path));
  } else if (!c.schema_json.empty()) {
    // Older writers keep the id only inside the schema JSON.
    const Json schema = Json::parse(c.schema_json, nullptr, false);
    if (schema.is_object() && schema.contains("schema-id") &&
        schema["schema-id"].is_number_integer()) {
      c.schema_id = schema["schema-id"].get<int>();
    }
  }
  if (const std::string* spec = reader.Metadata("partition-spec")) c.partition_spec_json = *spec;
  if (reader.Metadata("partition-spec-id") != nullptr) {
    c.partition_spec_id = static_cast<int>(ParseLongKey(reader, "partition-spec-id", path));
  }
  if (const std::string* content = reader.Metadata("content"); content && *content == "deletes") {
    c.content = FileContent::kPositionDeletes;
  }
  // Partition fields: ids and types from the r102 record, names from the
  // spec JSON (Avro names may have been made Avro-compatible).
  const Json spec = Json::parse(c.partition_spec_json, nullptr, false);
  const AvroNode& data_file = *layout.data_file_type;
  const AvroNode* partition = RecordType(data_file.fields[layout.partition].type.get());
  for (const auto& f : partition->fields) {
    PartitionFieldType pf;
    pf.field_id = f.field_id().value_or(0);
    pf.name = f.name;
    if (spec.is_array()) {
      for (const auto& s : spec) {
        if (s.is_object() && s.contains("field-id") && s["field-id"].is_number_integer() &&
            s["field-id"].get<int64_t>() == pf.field_id && s.contains("name") &&
            s["name"].is_string()) {
          pf.name = s["name"].get<std::string>();
        }
      }
    }
    const AvroNode* type = f.type.get();
    if (type->type == AvroType::kUnion) {
      const AvroNode* chosen = nullptr;
      for (const auto& b : type->branches) {
        if (b->type != AvroType::kNull) chosen = b.get();
      }
      if (chosen == nullptr)
        throw Corruption(path + ": partition field " + f.name + " has no type");
      type = chosen;
    }
    try {
      pf.type = PartitionTypeFromAvro(*type);
    } catch (const Corruption& e) {
      throw Corruption(path + ": partition field " + f.name + ": " + e.what());
    }
    c.partition_fields.push_back(std::move(pf));
  }
  return c;
}

void WriteManifestList(FileIO& io, const std::string& path, int64_t snapshot_id,
                       std::optional<int64_t> parent_snapshot_id, int64_t sequence_number,
                       const std::vector<ManifestFile>& manifests, SyncGroup* sync) {
  AvroFileWriter writer(
      ManifestFileAvroSchema(), AvroCodec::kDeflate,
      {{"snapshot-id", std::to_string(snapshot_id)},
       {"parent-snapshot-id", parent_snapshot_id ? std::to_string(*parent_snapshot_id) : "null"},
       {"sequence-number", std::to_string(sequence_number)},
       {"format-version", "2"}});
  for (const auto& m : manifests) {
    if (m.manifest_path.empty())
      throw InvalidArgument("manifest list " + path + ": empty manifest_path");
    AvroValue::Array summaries;
    for (const auto& s : m.partitions) {
      summaries.push_back(AvroValue::Record({
          AvroValue::Boolean(s.contains_null),
          s.contains_nan ? AvroValue::Boolean(*s.contains_nan) : AvroValue::Null(),
          s.lower_bound ? AvroValue::Bytes(*s.lower_bound) : AvroValue::Null(),
          s.upper_bound ? AvroValue::Bytes(*s.upper_bound) : AvroValue::Null(),
      }));
    }
    writer.Append(AvroValue::Record({
        AvroValue::String(m.manifest_path), AvroValue::Long(m.manifest_length),
        AvroValue::Int(m.partition_spec_id), AvroValue::Int(IsDeleteContent(m.content) ? 1 : 0),
        AvroValue::Long(m.sequence_number), AvroValue::Long(m.min_sequence_number),
        AvroValue::Long(m.added_snapshot_id), AvroValue::Int(m.added_files_count),
        AvroValue::Int(m.existing_files_count), AvroValue::Int(m.deleted_files_count),
        AvroValue::Long(m.added_rows_count), AvroValue::Long(m.existing_rows_count),
        AvroValue::Long(m.deleted_rows_count), AvroValue::MakeArray(std::move(summaries)),
        AvroValue::Null(),  // key_metadata
    }));
  }
  WriteNewFile(io, path, writer.Finish(), sync);
}

std::vector<ManifestFile> ReadManifestList(FileIO& io, const std::string& path) {
  AvroFileReader reader(io.ReadFile(LocalFilePath(path, "manifest list")), path);
  const AvroNode& s = *reader.schema();
  if (s.type != AvroType::kRecord)
    throw Corruption(path + ": manifest list schema is not a record");
  const int manifest_path = FindField(s, 500, {"manifest_path"});
  const int manifest_length = FindField(s, 501, {"manifest_length"});
  const int spec_id = FindField(s, 502, {"partition_spec_id"});
  const int content = FindField(s, 517, {"content"});
  const int seq = FindField(s, 515, {"sequence_number"});
  const int min_seq = FindField(s, 516, {"min_sequence_number"});
  const int added_snapshot = FindField(s, 503, {"added_snapshot_id"});
  const int added_files = FindField(s, 504, {"added_files_count", "added_data_files_count"});
  const int existing_files =
      FindField(s, 505, {"existing_files_count", "existing_data_files_count"});
  const int deleted_files = FindField(s, 506, {"deleted_files_count", "deleted_data_files_count"});
  const int added_rows = FindField(s, 512, {"added_rows_count"});
  const int existing_rows = FindField(s, 513, {"existing_rows_count"});
  const int deleted_rows = FindField(s, 514, {"deleted_rows_count"});
  const int partitions = FindField(s, 507, {"partitions"});
  if (manifest_path < 0 || manifest_length < 0 || spec_id < 0 || added_snapshot < 0) {
    throw Corruption(path +
                     ": manifest list schema lacks manifest_path, manifest_length, "
                     "partition_spec_id or added_snapshot_id");
  }
  std::vector<ManifestFile> out;
  ForEachObject(reader, path, "manifest", [&](const AvroValue& v) {
    ManifestFile m;
    auto get = [&](int index) { return GetField(s, v, index); };
    auto long_or_zero = [&](int index) {
      const FieldRef f = get(index);
      return f.present() ? f.value->AsLong() : 0;
    };
    auto int_or_zero = [&](int index) {
      const FieldRef f = get(index);
      return f.present() ? f.value->AsInt() : 0;
    };
    const FieldRef p = get(manifest_path);
    if (!p.present()) throw InvalidArgument("manifest_path is null");
    m.manifest_path = p.value->AsBytes();
    m.manifest_length = long_or_zero(manifest_length);
    m.partition_spec_id = int_or_zero(spec_id);
    const int32_t c = int_or_zero(content);
    if (c != 0 && c != 1) throw InvalidArgument("content " + std::to_string(c));
    m.content = c == 0 ? FileContent::kData : FileContent::kPositionDeletes;
    m.sequence_number = long_or_zero(seq);
    m.min_sequence_number = long_or_zero(min_seq);
    m.added_snapshot_id = long_or_zero(added_snapshot);
    m.added_files_count = int_or_zero(added_files);
    m.existing_files_count = int_or_zero(existing_files);
    m.deleted_files_count = int_or_zero(deleted_files);
    m.added_rows_count = long_or_zero(added_rows);
    m.existing_rows_count = long_or_zero(existing_rows);
    m.deleted_rows_count = long_or_zero(deleted_rows);
    if (const FieldRef ps = get(partitions); ps.present()) {
      const AvroNode* item = ps.type->items.get();
      if (item == nullptr || item->type != AvroType::kRecord) {
        throw InvalidArgument("partitions is not an array of records");
      }
      const int contains_null = FindField(*item, 509, {"contains_null"});
      const int contains_nan = FindField(*item, 518, {"contains_nan"});
      const int lower = FindField(*item, 510, {"lower_bound"});
      const int upper = FindField(*item, 511, {"upper_bound"});
      for (const auto& sv : ps.value->AsArray()) {
        PartitionFieldSummary summary;
        if (const FieldRef f = GetField(*item, sv, contains_null); f.present()) {
          summary.contains_null = f.value->AsBool();
        }
        if (const FieldRef f = GetField(*item, sv, contains_nan); f.present()) {
          summary.contains_nan = f.value->AsBool();
        }
        if (const FieldRef f = GetField(*item, sv, lower); f.present()) {
          summary.lower_bound = f.value->AsBytes();
        }
        if (const FieldRef f = GetField(*item, sv, upper); f.present()) {
          summary.upper_bound = f.value->AsBytes();
        }
        m.partitions.push_back(std::move(summary));
      }
    }
    out.push_back(std::move(m));
  });
  return out;
}

}  // namespace datashard

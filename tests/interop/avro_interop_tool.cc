// Test tool for the Avro interop tests (avro_*.mjs): writes manifests and
// manifest lists with datashard for avsc to decode, and reads files avsc
// wrote, printing what datashard sees as JSON. 64-bit integers print as
// strings, bytes as lower-case hex, decimals as their unscaled value.
//
//   avro_interop_tool write DIR                 writes DIR/manifest.avro, DIR/list.avro and
//                                               DIR/common.avro, prints what it wrote
//   avro_interop_tool read-manifest FILE SEQ SNAPSHOT_ID   prints context and entries
//   avro_interop_tool read-list FILE                       prints the manifest list
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "datashard/errors.h"
#include "datashard/file_io.h"
#include "format/json/value_json.h"
#include "metadata/manifest.h"
#include "metadata/manifest_samples.h"
#include "util/hex.h"

namespace datashard {
namespace {

using Json = nlohmann::ordered_json;

Json ValueJson(const DataType& type, const Value& v) {
  if (v.is_null()) return nullptr;
  switch (type.id) {
    case TypeId::kBoolean:
      return v.as_bool();
    case TypeId::kInt:
    case TypeId::kDate:
      return v.as_int();
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return std::to_string(v.as_long());
    case TypeId::kFloat:
      if (std::isnan(v.as_float())) return "NaN";
      return static_cast<double>(v.as_float());
    case TypeId::kDouble:
      if (std::isnan(v.as_double())) return "NaN";
      return v.as_double();
    case TypeId::kString:
      return v.as_bytes();
    case TypeId::kDecimal:
      return FormatDecimal(v.as_decimal(), 0);
    case TypeId::kUuid:
    case TypeId::kFixed:
    case TypeId::kBinary:
      return HexEncode(v.as_bytes());
  }
  return nullptr;
}

Json OptLong(const std::optional<int64_t>& v) {
  return v ? Json(std::to_string(*v)) : Json(nullptr);
}

Json LongMap(const std::map<int, int64_t>& m) {
  Json out = Json::object();
  for (const auto& [k, v] : m) out[std::to_string(k)] = std::to_string(v);
  return out;
}

Json BytesMap(const std::map<int, std::string>& m) {
  Json out = Json::object();
  for (const auto& [k, v] : m) out[std::to_string(k)] = HexEncode(v);
  return out;
}

Json EntryJson(const ManifestEntry& e, const std::vector<PartitionFieldType>& fields) {
  const DataFile& f = e.data_file;
  Json partition = Json::array();
  for (size_t i = 0; i < f.partition.size(); ++i) {
    partition.push_back({{"field_id", fields[i].field_id},
                         {"name", fields[i].name},
                         {"type", fields[i].type.ToString()},
                         {"value", ValueJson(fields[i].type, f.partition[i])}});
  }
  Json split = Json::array(), eq = Json::array();
  for (int64_t o : f.split_offsets) split.push_back(std::to_string(o));
  for (int id : f.equality_ids) eq.push_back(id);
  return {{"status", static_cast<int>(e.status)},
          {"snapshot_id", OptLong(e.snapshot_id)},
          {"sequence_number", OptLong(e.sequence_number)},
          {"file_sequence_number", OptLong(e.file_sequence_number)},
          {"data_file",
           {{"content", static_cast<int>(f.content)},
            {"file_path", f.file_path},
            {"file_format", f.file_format},
            {"partition", partition},
            {"record_count", std::to_string(f.record_count)},
            {"file_size_in_bytes", std::to_string(f.file_size_in_bytes)},
            {"column_sizes", LongMap(f.column_sizes)},
            {"value_counts", LongMap(f.value_counts)},
            {"null_value_counts", LongMap(f.null_value_counts)},
            {"nan_value_counts", LongMap(f.nan_value_counts)},
            {"lower_bounds", BytesMap(f.lower_bounds)},
            {"upper_bounds", BytesMap(f.upper_bounds)},
            {"split_offsets", split},
            {"equality_ids", eq},
            {"sort_order_id", f.sort_order_id ? Json(*f.sort_order_id) : Json(nullptr)},
            {"referenced_data_file",
             f.referenced_data_file ? Json(*f.referenced_data_file) : Json(nullptr)}}}};
}

Json ManifestFileJson(const ManifestFile& m) {
  Json partitions = Json::array();
  for (const auto& s : m.partitions) {
    partitions.push_back(
        {{"contains_null", s.contains_null},
         {"contains_nan", s.contains_nan ? Json(*s.contains_nan) : Json(nullptr)},
         {"lower_bound", s.lower_bound ? Json(HexEncode(*s.lower_bound)) : Json(nullptr)},
         {"upper_bound", s.upper_bound ? Json(HexEncode(*s.upper_bound)) : Json(nullptr)}});
  }
  return {{"manifest_path", m.manifest_path},
          {"manifest_length", std::to_string(m.manifest_length)},
          {"partition_spec_id", m.partition_spec_id},
          {"content", static_cast<int>(m.content)},
          {"sequence_number", std::to_string(m.sequence_number)},
          {"min_sequence_number", std::to_string(m.min_sequence_number)},
          {"added_snapshot_id", std::to_string(m.added_snapshot_id)},
          {"added_files_count", m.added_files_count},
          {"existing_files_count", m.existing_files_count},
          {"deleted_files_count", m.deleted_files_count},
          {"added_rows_count", std::to_string(m.added_rows_count)},
          {"existing_rows_count", std::to_string(m.existing_rows_count)},
          {"deleted_rows_count", std::to_string(m.deleted_rows_count)},
          {"partitions", partitions}};
}

// A manifest with every partition result type, nulls, a NaN and all three
// entry statuses; a manifest list naming it.
int Write(const std::string& dir) {
  auto io = NewPosixFileIO();
  ManifestContext context;
  context.schema_json =
      R"({"type":"struct","schema-id":4,"fields":[{"id":1,"name":"id","required":true,"type":"long"}]})";
  context.schema_id = 4;
  context.partition_spec_id = 1;
  context.partition_fields = samples::PartitionFields();
  Json spec = Json::array();
  for (const auto& f : context.partition_fields) {
    spec.push_back(
        {{"name", f.name}, {"transform", "identity"}, {"source-id", 1}, {"field-id", f.field_id}});
  }
  context.partition_spec_json = spec.dump();

  const std::vector<ManifestEntry> entries = samples::Entries(dir + "/data");

  ManifestFile m = WriteManifest(*io, dir + "/manifest.avro", context, 77, entries);
  m.sequence_number = 6;
  m.min_sequence_number = 2;
  WriteManifestList(*io, dir + "/list.avro", 77, std::nullopt, 6, {m});
  Json written_entries = Json::array();
  for (const auto& e : entries) written_entries.push_back(EntryJson(e, context.partition_fields));

  // The same entries partitioned only by the types icebird decodes (it has
  // no fixed, so no decimal, uuid or fixed partitions).
  const std::vector<size_t> common = {0, 1, 2, 3, 4, 7, 9, 10, 11, 14};
  ManifestContext common_context = context;
  common_context.partition_fields.clear();
  for (size_t i : common) common_context.partition_fields.push_back(context.partition_fields[i]);
  std::vector<ManifestEntry> common_entries = entries;
  for (auto& e : common_entries) {
    std::vector<Value> partition;
    for (size_t i : common) partition.push_back(e.data_file.partition[i]);
    e.data_file.partition = std::move(partition);
  }
  WriteManifest(*io, dir + "/common.avro", common_context, 77, common_entries);
  Json written_common = Json::array();
  for (const auto& e : common_entries) {
    written_common.push_back(EntryJson(e, common_context.partition_fields));
  }
  std::cout << Json{{"entries", written_entries},
                    {"common_entries", written_common},
                    {"manifest_list", {ManifestFileJson(m)}}}
                   .dump(2)
            << "\n";
  return 0;
}

int ReadManifestCommand(const std::string& path, int64_t seq, int64_t snapshot_id) {
  auto io = NewPosixFileIO();
  const ManifestContext context = ReadManifestContext(*io, path);
  ManifestFile m;
  m.manifest_path = path;
  m.sequence_number = seq;
  m.added_snapshot_id = snapshot_id;
  Json entries = Json::array();
  for (const auto& e : ReadManifest(*io, m)) {
    entries.push_back(EntryJson(e, context.partition_fields));
  }
  Json fields = Json::array();
  for (const auto& f : context.partition_fields) {
    fields.push_back({{"field_id", f.field_id}, {"name", f.name}, {"type", f.type.ToString()}});
  }
  std::cout << Json{{"context",
                     {{"schema", context.schema_json},
                      {"schema_id", context.schema_id},
                      {"partition_spec", context.partition_spec_json},
                      {"partition_spec_id", context.partition_spec_id},
                      {"content", static_cast<int>(context.content)},
                      {"partition_fields", fields}}},
                    {"entries", entries}}
                   .dump(2)
            << "\n";
  return 0;
}

int ReadListCommand(const std::string& path) {
  auto io = NewPosixFileIO();
  Json out = Json::array();
  for (const auto& m : ReadManifestList(*io, path)) out.push_back(ManifestFileJson(m));
  std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace datashard

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 2 && args[0] == "write") return datashard::Write(args[1]);
    if (args.size() == 4 && args[0] == "read-manifest") {
      return datashard::ReadManifestCommand(args[1], std::stoll(args[2]), std::stoll(args[3]));
    }
    if (args.size() == 2 && args[0] == "read-list") return datashard::ReadListCommand(args[1]);
  } catch (const datashard::Error& e) {
    std::cerr << datashard::ErrorCodeName(e.code()) << ": " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: avro_interop_tool write DIR | read-manifest FILE SEQ SNAPSHOT_ID | "
               "read-list FILE\n";
  return 2;
}

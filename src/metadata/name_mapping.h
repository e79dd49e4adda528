// Iceberg name mapping (table property schema.name-mapping.default) and the
// one rule by which readers find the file column of a table field: by
// Parquet field id when the file has ids, else through the name mapping.
// Immutable after construction; safe to share between threads.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "datashard/schema.h"
#include "format/parquet/parquet_reader.h"

namespace datashard {

/// The table property that holds the default name mapping (JSON).
inline constexpr char kNameMappingProperty[] = "schema.name-mapping.default";

/// One top-level entry of a name mapping: the names a column may have in
/// files written without field ids. No `field_id` = columns to ignore.
struct MappedField {
  std::optional<int> field_id;
  std::vector<std::string> names;
};

class NameMapping {
 public:
  NameMapping() = default;
  explicit NameMapping(std::vector<MappedField> fields);

  /// Parses the JSON list of {"field-id", "names", "fields"} objects the spec
  /// defines (Appendix C). Nested `fields` are checked and ignored: datashard
  /// tables have top-level primitive columns only. Corruption naming the
  /// property and the entry on bad JSON, a missing or non-string name, a
  /// name or field id listed twice.
  static NameMapping Parse(const std::string& json);

  /// The mapping `properties` define; nullptr when they hold none.
  static std::shared_ptr<const NameMapping> FromProperties(
      const std::map<std::string, std::string>& properties);

  /// The reserved columns of a position delete file (file_path, pos): the
  /// spec fixes their names as well as their ids.
  static const NameMapping& PositionDeleteColumns();

  /// The field id a top-level file column named `name` holds, if mapped.
  std::optional<int> FieldIdOf(const std::string& name) const;

  const std::vector<MappedField>& fields() const { return fields_; }

 private:
  std::vector<MappedField> fields_;
  std::unordered_map<std::string, int> id_by_name_;
};

/// Which column of one Parquet file holds each table field.
class FileColumnResolver {
 public:
  /// `columns`: the file's columns; `mapping`: the table's name mapping, or
  /// nullptr; `file`: names the file in messages ("data file <path>").
  /// Corruption when two columns of the file hold one field id (by their
  /// ids, or by the mapping).
  FileColumnResolver(const std::vector<parquet::FileColumn>& columns, const NameMapping* mapping,
                     const std::string& file);

  /// Index of the file column holding field `field_id`; -1 when the file has
  /// none, and the field then reads as absent (null, or its identity
  /// partition value).
  int Find(int field_id) const;

 private:
  std::unordered_map<int, int> column_by_id_;
};

/// For messages: " (file column 'old')" when the file names the column of
/// `field` otherwise than the table does, else "".
std::string FileColumnNote(const parquet::FileColumn& column, const Field& field);

}  // namespace datashard

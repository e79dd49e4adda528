#include "commit/append_input.h"

#include <unordered_map>

#include "datashard/errors.h"
#include "format/json/value_json.h"
#include "types/type_promotion.h"
#include "types/value_key.h"
#include "util/utf8.h"

namespace datashard {
namespace {

std::string ShowValue(const Value& v, const DataType& type) {
  try {
    return ValueToJson(v, type).dump();
  } catch (const Error&) {
    return "(a value that is not a " + type.ToString() + ")";
  }
}

}  // namespace

AppendInput::AppendInput(const Schema& table, const PartitionSpec& spec, const Schema& input,
                         const PartitionValues& partition_values)
    : table_(table), spec_(spec), input_(input) {
  for (const Field& f : input_.fields()) {
    const int t = table_.IndexOf(f.name);
    if (t < 0) {
      throw SchemaMismatch("field '" + f.name +
                           "' of the records' schema is not a column of the table");
    }
    const Field& tf = table_.fields()[static_cast<size_t>(t)];
    if (!(tf.type == f.type)) {
      throw SchemaMismatch("field '" + f.name + "' has type " + f.type.ToString() +
                           " in the records' schema but " + tf.type.ToString() + " in the table");
    }
    to_table_.push_back(t);
  }
  for (const Field& tf : table_.fields()) {
    if (tf.required && input_.IndexOf(tf.name) < 0) {
      throw SchemaMismatch("required table column '" + tf.name +
                           "' is missing from the records' schema");
    }
  }
  for (const auto& [name, value] : partition_values) {
    Check c;
    c.key = name;
    const int col = table_.IndexOf(name);
    DataType type;
    if (col >= 0) {
      c.table_index = col;
      c.is_partition_field = false;
      type = table_.fields()[static_cast<size_t>(col)].type;
    } else {
      int found = -1;
      for (size_t i = 0; i < spec_.fields().size(); ++i) {
        if (spec_.fields()[i].name == name) found = static_cast<int>(i);
      }
      if (found < 0) {
        throw InvalidArgument("partition value '" + name +
                              "' names neither a table column nor a partition field");
      }
      c.table_index = found;
      c.is_partition_field = true;
      type = spec_.ResultTypes(table_)[static_cast<size_t>(found)];
    }
    c.value = PromoteValue(value, type);
    if (!c.value.Fits(type)) {
      throw InvalidArgument("partition value '" + name + "' does not fit type " + type.ToString());
    }
    checks_.push_back(std::move(c));
  }
}

Record AppendInput::ToTableRow(const Record& in, size_t index) const {
  const std::string where = "record " + std::to_string(index);
  if (in.size() != input_.fields().size()) {
    throw InvalidArgument(where + " has " + std::to_string(in.size()) +
                          " values but the schema has " + std::to_string(input_.fields().size()) +
                          " fields");
  }
  Record out(table_.fields().size());
  for (size_t i = 0; i < in.size(); ++i) {
    const Field& tf = table_.fields()[static_cast<size_t>(to_table_[i])];
    Value v = PromoteValue(in[i], tf.type);
    if (!v.Fits(tf.type)) {
      throw SchemaMismatch(where + " field '" + tf.name + "': value does not fit type " +
                           tf.type.ToString());
    }
    if (tf.type.id == TypeId::kString && !v.is_null() && !IsValidUtf8(v.as_bytes())) {
      throw SchemaMismatch(where + " field '" + tf.name + "': string is not valid UTF-8");
    }
    out[static_cast<size_t>(to_table_[i])] = std::move(v);
  }
  for (size_t t = 0; t < out.size(); ++t) {
    const Field& tf = table_.fields()[t];
    if (tf.required && out[t].is_null()) {
      throw SchemaMismatch(where + " field '" + tf.name + "': null in a required column");
    }
  }
  return out;
}

void AppendInput::Add(std::vector<Record> rows) {
  // Validate every row first so that a bad row leaves the input unchanged.
  std::vector<std::vector<Value>> tuples;
  tuples.reserve(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    std::vector<Value> tuple = spec_.PartitionOf(table_, rows[r]);
    for (const Check& c : checks_) {
      const Value& actual = c.is_partition_field ? tuple[static_cast<size_t>(c.table_index)]
                                                 : rows[r][static_cast<size_t>(c.table_index)];
      if (!(actual == c.value)) {
        const DataType type = c.is_partition_field
                                  ? spec_.ResultTypes(table_)[static_cast<size_t>(c.table_index)]
                                  : table_.fields()[static_cast<size_t>(c.table_index)].type;
        throw InvalidArgument("record " + std::to_string(r) + " field '" + c.key + "' is " +
                              ShowValue(actual, type) + " but partition_values gives " +
                              ShowValue(c.value, type));
      }
    }
    tuples.push_back(std::move(tuple));
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    const std::string key = TupleKey(tuples[r]);
    size_t g = 0;
    while (g < group_keys_.size() && group_keys_[g] != key) ++g;
    if (g == group_keys_.size()) {
      group_keys_.push_back(key);
      PartitionGroup group;
      group.partition = tuples[r];
      for (const Field& f : table_.fields()) group.columns.emplace_back(f.type);
      groups_.push_back(std::move(group));
    }
    for (size_t c = 0; c < rows[r].size(); ++c) groups_[g].columns[c].Append(rows[r][c]);
  }
  num_rows_ += static_cast<int64_t>(rows.size());
}

void AppendInput::AddRows(const std::vector<Record>& rows) {
  std::vector<Record> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(ToTableRow(rows[i], i));
  Add(std::move(out));
}

void AppendInput::AddNamedRows(const std::vector<NamedRecord>& rows) {
  std::vector<Record> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    Record positional(input_.fields().size());
    for (const auto& [name, value] : rows[i]) {
      const int idx = input_.IndexOf(name);
      if (idx < 0) {
        throw SchemaMismatch("record " + std::to_string(i) + " field '" + name +
                             "' is not in the records' schema");
      }
      positional[static_cast<size_t>(idx)] = value;
    }
    out.push_back(ToTableRow(positional, i));
  }
  Add(std::move(out));
}

void AppendInput::AddColumns(const std::vector<ColumnVector>& columns) {
  if (columns.size() != input_.fields().size()) {
    throw InvalidArgument(std::to_string(columns.size()) + " columns given but the schema has " +
                          std::to_string(input_.fields().size()) + " fields");
  }
  const size_t n = columns.empty() ? 0 : columns[0].size();
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].size() != n) {
      throw InvalidArgument("column '" + input_.fields()[c].name + "' has " +
                            std::to_string(columns[c].size()) + " values, column '" +
                            input_.fields()[0].name + "' has " + std::to_string(n));
    }
  }
  std::vector<Record> out;
  out.reserve(n);
  for (size_t r = 0; r < n; ++r) {
    Record row;
    row.reserve(columns.size());
    for (const ColumnVector& c : columns) row.push_back(c.Get(r));
    out.push_back(ToTableRow(row, r));
  }
  Add(std::move(out));
}

std::vector<PartitionGroup> AppendInput::TakeGroups() {
  std::vector<PartitionGroup> out = std::move(groups_);
  groups_.clear();
  group_keys_.clear();
  return out;
}

}  // namespace datashard

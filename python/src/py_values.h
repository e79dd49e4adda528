// Python values <-> datashard Values, per column type (DESIGN.md §3):
//   boolean <- bool             int, long <- int (no bool, no float)
//   float, double <- float, int decimal(P,S) <- decimal.Decimal, int (exact)
//   date <- datetime.date       time <- datetime.time (naive)
//   timestamp <- naive datetime timestamptz <- aware datetime (stored as UTC)
//   string <- str               uuid <- uuid.UUID
//   binary <- bytes-like        fixed(L) <- bytes-like of length L
//   null <- None
// Scans give back the same Python types (timestamptz as UTC datetimes). A
// timestamptz whose UTC value falls outside years 1 to 9999 is refused on
// write, since no Python reader could read it back.
// Every function here needs the GIL.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "datashard/record_batch.h"
#include "datashard/schema.h"
#include "datashard/value.h"

namespace datashard::python {

/// Converts one Python value to a Value of `type`. SchemaMismatch (a Python
/// TypeError) for a wrong Python type, InvalidArgument (a ValueError) for a
/// value out of the type's range; messages start with `where`.
Value ToValue(pybind11::handle obj, const DataType& type, const std::string& where);

/// The Python object of a Value of `type` (None for null). NotSupported for
/// a date, time or timestamp outside what Python's datetime holds (years 1 to
/// 9999), which other engines may have written.
pybind11::object FromValue(const Value& v, const DataType& type);

/// Converts records (a sequence of mappings keyed by column name) to rows in
/// `schema` field order. SchemaMismatch naming the record index and field for
/// an unknown column, a wrong type or a missing/None required field;
/// InvalidArgument for out-of-range values. Nothing is converted partially:
/// it throws before returning.
std::vector<Record> ToRecords(pybind11::handle records, const Schema& schema);

/// Converts a {column: value} mapping (None: empty) by the types of `schema`;
/// SchemaMismatch naming a key that is not a column of `schema`.
PartitionValues ToPartitionValues(pybind11::handle values, const Schema& schema);

/// Row `i` of `batch` as a dict keyed by column name; `row` is its number in
/// the scan. NotSupported naming the column and row for a value Python cannot
/// hold (see FromValue).
pybind11::dict RowToDict(const RecordBatch& batch, size_t i, int64_t row);

/// `batch` as a dict of column name to list of values; `first_row` is the
/// number of its first row in the scan. Errors as RowToDict.
pybind11::dict BatchToColumns(const RecordBatch& batch, int64_t first_row);

/// Argument `name` of a call as an int64: InvalidArgument naming it for a
/// bool, anything that is not an int, or an int outside [lo, hi].
int64_t IntArg(pybind11::handle obj, const char* name, int64_t lo = INT64_MIN,
               int64_t hi = INT64_MAX);

/// The same, with None giving nullopt.
std::optional<int64_t> OptionalIntArg(pybind11::handle obj, const char* name);

/// Argument `name` as a str; InvalidArgument naming it for anything else.
std::string StrArg(pybind11::handle obj, const char* name);

/// Argument `name` as a list of str (any iterable but a str or bytes);
/// InvalidArgument naming it for anything else.
std::vector<std::string> StrListArg(pybind11::handle obj, const char* name);

/// Converts a Python JSON-like value (dict with str keys, list, tuple, str,
/// int, float, bool, None) to JSON; InvalidArgument naming `where` and the
/// Python type for anything else.
nlohmann::json ToJson(pybind11::handle obj, const std::string& where);

/// A JSON text as the equivalent Python object (dict, list, str, ...).
pybind11::object JsonToPython(const std::string& json_text);

}  // namespace datashard::python

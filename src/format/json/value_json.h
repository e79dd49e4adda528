// The JSON Lines form of values, rows and schemas (DESIGN.md §11): what
// `datashard parquet cat`, `scan --format jsonl` print and what `append`,
// `parquet write` accept. Stateless functions; safe from any thread.
//
//   long/int -> integer            float/double -> number ("NaN", "Infinity",
//   string -> string                 "-Infinity" as strings, JSON has none)
//   boolean -> true/false          date -> "YYYY-MM-DD"
//   time -> "HH:MM:SS.ffffff"      timestamp -> "2024-01-31T12:00:00.000001"
//   timestamptz -> "2024-01-31T12:00:00.000001+00:00" (input may carry any
//                  offset or "Z"; it is normalised to UTC)
//   decimal -> "123.45" (exactly the type's scale)
//   binary/fixed -> base64          uuid -> "f79c3e09-677c-4bbd-a479-3f349cb785e7"
//   null -> null
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "datashard/column_vector.h"
#include "datashard/record_batch.h"
#include "datashard/schema.h"
#include "datashard/types.h"
#include "datashard/value.h"

namespace datashard {

/// Converts a JSON value to a Value of `type` (JSON null -> null Value).
/// InvalidArgument naming the type and the value when it does not parse or
/// does not fit (out of range, too many decimal digits, wrong length).
Value ValueFromJson(const nlohmann::json& j, const DataType& type);

/// The JSON form of a non-null or null Value of `type`. InvalidArgument when
/// the value does not fit the type.
nlohmann::json ValueToJson(const Value& v, const DataType& type);

/// Appends the JSON text of ValueToJson(v, type) to `out` (the same JSON
/// value; numbers in shortest round-trip form); the fast path of JSON Lines
/// output. InvalidArgument for a string that is not valid UTF-8.
void AppendValueJson(const Value& v, const DataType& type, std::string* out);

/// Appends the JSON text of row `row` of `column` (typed as the column):
/// what AppendValueJson(column.Get(row), column.type(), out) appends, read
/// from the column's storage (string views included) without a Value.
void AppendCellJson(const ColumnVector& column, size_t row, std::string* out);

/// Appends rows [begin, end) of `batch` as JSON Lines: per row what
/// AppendRecordJson(batch.Row(r), batch.schema, out) appends, then "\n".
void AppendBatchJsonLines(const RecordBatch& batch, size_t begin, size_t end, std::string* out);

/// Parses the documented field list
/// `[{"id":1,"name":"record_id","type":"long","required":true}, ...]`, or an
/// Iceberg schema object `{"type":"struct","schema-id":N,"fields":[...]}`.
/// Fields may carry "doc". InvalidArgument naming the field on bad input.
Schema SchemaFromJson(const nlohmann::json& j);

/// The documented field list of `schema` (parses back with SchemaFromJson).
nlohmann::json SchemaFieldsToJson(const Schema& schema);

/// The Iceberg schema object: {"type":"struct","schema-id":N,"fields":[...]}.
nlohmann::json SchemaToJson(const Schema& schema);

/// Converts one JSON Lines row (an object keyed by column name) to a Record
/// in schema order; absent optional columns are null. InvalidArgument naming
/// `line_number`, the field and the value for an unknown column, a value of
/// the wrong type, or a missing/null required column.
Record RecordFromJson(const nlohmann::json& row, const Schema& schema, int64_t line_number);

/// Parses the text of one JSON Lines row, then as RecordFromJson.
/// InvalidArgument naming the line when the text is not one JSON object.
Record RecordFromJsonLine(std::string_view line, const Schema& schema, int64_t line_number);

/// The JSON object of a row, nulls included (nlohmann::json orders keys by name).
nlohmann::json RecordToJson(const Record& record, const Schema& schema);

/// Appends the row as one compact JSON object (no newline) to `out`, keys in
/// schema order, nulls included: one line of `parquet cat`/`scan` output.
void AppendRecordJson(const Record& record, const Schema& schema, std::string* out);

/// Calendar helpers shared with expression literals and partition values.
/// Days since 1970-01-01 of a proleptic Gregorian date, and back.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day);

/// Text forms used inside the JSON strings above (no quotes).
std::string FormatDate(int32_t days);
std::string FormatTime(int64_t micros);
std::string FormatTimestamp(int64_t micros, bool with_zone);
std::string FormatDecimal(Int128 unscaled, int scale);
std::string FormatUuid(const std::string& bytes16);
std::string Base64Encode(std::string_view bytes);

/// Parsers of those text forms; InvalidArgument naming the text on error.
int32_t ParseDate(std::string_view text);
int64_t ParseTime(std::string_view text);
int64_t ParseTimestamp(std::string_view text, bool with_zone);
Int128 ParseDecimal(std::string_view text, int precision, int scale);
std::string ParseUuid(std::string_view text);
std::string Base64Decode(std::string_view text);

}  // namespace datashard

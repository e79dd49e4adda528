#include "py_values.h"

#include <datetime.h>

#include <cfloat>
#include <cmath>
#include <unordered_map>

#include "datashard/errors.h"
#include "format/json/value_json.h"

namespace py = pybind11;

namespace datashard::python {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

// Python's datetime holds years 1 to 9999: these are its first and last
// days, counted like Iceberg dates (days since 1970-01-01).
int64_t FirstPythonDay() { return DaysFromCivil(1, 1, 1); }
int64_t LastPythonDay() { return DaysFromCivil(9999, 12, 31); }
constexpr const char* kPythonRange = "outside the range of Python's datetime (years 1 to 9999)";

// A stored value that has no Python equivalent (e.g. a timestamp of year 0
// written by another engine); `detail` shows the value.
struct Unrepresentable {
  std::string detail;
};

// A value that does not convert: `type_error` when the Python type is wrong
// (SchemaMismatch), otherwise the value is out of range (InvalidArgument).
struct ConversionError {
  bool type_error;
  std::string detail;
};

void EnsureDateTime() {
  if (PyDateTimeAPI == nullptr) {
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == nullptr) throw py::error_already_set();
  }
}

// Imported Python classes, looked up once and kept for the interpreter's life.
py::handle ImportedClass(const char* module, const char* name) {
  py::object cls = py::module_::import(module).attr(name);
  return cls.release();
}
py::handle DecimalClass() {
  static py::handle cls = ImportedClass("decimal", "Decimal");
  return cls;
}
py::handle UuidClass() {
  static py::handle cls = ImportedClass("uuid", "UUID");
  return cls;
}

std::string Shown(py::handle obj) {
  std::string text = py::repr(obj).cast<std::string>();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

[[noreturn]] void WrongType(py::handle obj, const char* expected) {
  throw ConversionError{true, std::string("expected ") + expected + ", got " +
                                  Py_TYPE(obj.ptr())->tp_name + " " + Shown(obj)};
}

[[noreturn]] void OutOfRange(py::handle obj, const DataType& type, const std::string& why) {
  throw ConversionError{false, Shown(obj) + " " + why + " for " + type.ToString()};
}

bool IsInteger(py::handle obj) {
  return !PyBool_Check(obj.ptr()) && (PyLong_Check(obj.ptr()) || PyIndex_Check(obj.ptr()));
}

int64_t ToInt64(py::handle obj, const DataType& type, int64_t lo, int64_t hi) {
  py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(obj.ptr()));
  if (!index) throw py::error_already_set();
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  if (overflow != 0 || v < lo || v > hi) OutOfRange(obj, type, "is out of range");
  return v;
}

std::string BytesOf(py::handle obj) {
  if (PyBytes_Check(obj.ptr())) return py::reinterpret_borrow<py::bytes>(obj);
  if (PyByteArray_Check(obj.ptr()) || PyMemoryView_Check(obj.ptr())) {
    py::object bytes = py::reinterpret_steal<py::object>(PyBytes_FromObject(obj.ptr()));
    if (!bytes) throw py::error_already_set();
    return py::reinterpret_borrow<py::bytes>(bytes);
  }
  WrongType(obj, "bytes");
}

int64_t MicrosOfDay(int hour, int minute, int second, int micro) {
  return ((hour * 60LL + minute) * 60 + second) * kMicrosPerSecond + micro;
}

Value Convert(py::handle obj, const DataType& type) {
  PyObject* o = obj.ptr();
  switch (type.id) {
    case TypeId::kBoolean:
      if (!PyBool_Check(o)) WrongType(obj, "bool");
      return Value(o == Py_True);
    case TypeId::kInt:
      if (!IsInteger(obj)) WrongType(obj, "int");
      return Value(static_cast<int32_t>(ToInt64(obj, type, INT32_MIN, INT32_MAX)));
    case TypeId::kLong:
      if (!IsInteger(obj)) WrongType(obj, "int");
      return Value(ToInt64(obj, type, INT64_MIN, INT64_MAX));
    case TypeId::kFloat:
    case TypeId::kDouble: {
      if (!PyFloat_Check(o) && !IsInteger(obj)) WrongType(obj, "float");
      const double d = PyFloat_AsDouble(o);
      if (d == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        OutOfRange(obj, type, "is out of range");
      }
      if (type.id == TypeId::kDouble) return Value(d);
      if (std::isfinite(d) && std::fabs(d) > FLT_MAX) OutOfRange(obj, type, "is out of range");
      return Value(static_cast<float>(d));
    }
    case TypeId::kDecimal: {
      std::string text;
      if (IsInteger(obj)) {
        text = py::str(py::reinterpret_steal<py::object>(PyNumber_Index(o)));
      } else if (py::isinstance(obj, DecimalClass())) {
        text = py::str(py::module_::import("builtins").attr("format")(obj, "f"));
      } else {
        WrongType(obj, "decimal.Decimal");
      }
      try {
        return Value::Decimal(ParseDecimal(text, type.precision, type.scale));
      } catch (const InvalidArgument& e) {
        throw ConversionError{false, e.what()};
      }
    }
    case TypeId::kDate:
      EnsureDateTime();
      if (!PyDate_Check(o) || PyDateTime_Check(o)) WrongType(obj, "datetime.date");
      return Value(static_cast<int32_t>(
          DaysFromCivil(PyDateTime_GET_YEAR(o), PyDateTime_GET_MONTH(o), PyDateTime_GET_DAY(o))));
    case TypeId::kTime:
      EnsureDateTime();
      if (!PyTime_Check(o)) WrongType(obj, "datetime.time");
      if (PyDateTime_TIME_GET_TZINFO(o) != Py_None) {
        OutOfRange(obj, type, "has a time zone; a naive time is needed");
      }
      return Value(MicrosOfDay(PyDateTime_TIME_GET_HOUR(o), PyDateTime_TIME_GET_MINUTE(o),
                               PyDateTime_TIME_GET_SECOND(o), PyDateTime_TIME_GET_MICROSECOND(o)));
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz: {
      EnsureDateTime();
      if (!PyDateTime_Check(o)) WrongType(obj, "datetime.datetime");
      int64_t micros =
          DaysFromCivil(PyDateTime_GET_YEAR(o), PyDateTime_GET_MONTH(o), PyDateTime_GET_DAY(o)) *
              kMicrosPerDay +
          MicrosOfDay(PyDateTime_DATE_GET_HOUR(o), PyDateTime_DATE_GET_MINUTE(o),
                      PyDateTime_DATE_GET_SECOND(o), PyDateTime_DATE_GET_MICROSECOND(o));
      py::object offset = obj.attr("utcoffset")();
      if (type.id == TypeId::kTimestamp) {
        if (!offset.is_none()) {
          OutOfRange(obj, type,
                     "is timezone-aware (use a timestamptz column); a naive datetime is needed");
        }
        return Value(micros);
      }
      if (offset.is_none()) {
        OutOfRange(obj, type, "is naive; a timezone-aware datetime is needed");
      }
      PyObject* d = offset.ptr();
      micros -= PyDateTime_DELTA_GET_DAYS(d) * kMicrosPerDay +
                PyDateTime_DELTA_GET_SECONDS(d) * kMicrosPerSecond +
                PyDateTime_DELTA_GET_MICROSECONDS(d);
      // Stored as UTC: near year 1 or 9999 the offset can move the value out
      // of what any Python reader could turn back into a datetime.
      if (micros < FirstPythonDay() * kMicrosPerDay ||
          micros >= (LastPythonDay() + 1) * kMicrosPerDay) {
        OutOfRange(obj, type, "is " + FormatTimestamp(micros, true) + " in UTC, " + kPythonRange);
      }
      return Value(micros);
    }
    case TypeId::kString: {
      if (!PyUnicode_Check(o)) WrongType(obj, "str");
      Py_ssize_t size = 0;
      const char* utf8 = PyUnicode_AsUTF8AndSize(o, &size);
      if (utf8 == nullptr) {
        PyErr_Clear();
        OutOfRange(obj, type, "cannot be encoded as UTF-8");
      }
      return Value(std::string(utf8, static_cast<size_t>(size)));
    }
    case TypeId::kUuid:
      if (!py::isinstance(obj, UuidClass())) WrongType(obj, "uuid.UUID");
      return Value(std::string(py::bytes(obj.attr("bytes"))));
    case TypeId::kFixed: {
      std::string bytes = BytesOf(obj);
      if (static_cast<int>(bytes.size()) != type.length) {
        OutOfRange(obj, type, "has " + std::to_string(bytes.size()) + " bytes");
      }
      return Value(std::move(bytes));
    }
    case TypeId::kBinary:
      return Value(BytesOf(obj));
  }
  throw ConversionError{true, "unknown type " + type.ToString()};
}

[[noreturn]] void Rethrow(const ConversionError& e, const std::string& where) {
  if (e.type_error) throw SchemaMismatch(where + ": " + e.detail);
  throw InvalidArgument(where + ": " + e.detail);
}

std::string FieldWhere(const Field& field) {
  return "field '" + field.name + "' (" + field.type.ToString() + ")";
}

std::string ColumnList(const Schema& schema) {
  std::string out;
  for (const Field& f : schema.fields()) out += (out.empty() ? "" : ", ") + f.name;
  return out;
}

py::object Utc() {
  EnsureDateTime();
  return py::reinterpret_borrow<py::object>(PyDateTime_TimeZone_UTC);
}

// The Python object of a non-null Value of `type`; Unrepresentable for a
// date, time or timestamp Python's datetime module cannot hold.
py::object PythonValue(const Value& v, const DataType& type) {
  switch (type.id) {
    case TypeId::kBoolean:
      return py::bool_(v.as_bool());
    case TypeId::kInt:
      return py::int_(v.as_int());
    case TypeId::kLong:
      return py::int_(v.as_long());
    case TypeId::kFloat:
      return py::float_(static_cast<double>(v.as_float()));
    case TypeId::kDouble:
      return py::float_(v.as_double());
    case TypeId::kDecimal:
      return DecimalClass()(FormatDecimal(v.as_decimal(), type.scale));
    case TypeId::kDate: {
      EnsureDateTime();
      if (v.as_int() < FirstPythonDay() || v.as_int() > LastPythonDay()) {
        throw Unrepresentable{FormatDate(v.as_int()) + " is " + kPythonRange};
      }
      int64_t year = 0;
      unsigned month = 0, day = 0;
      CivilFromDays(v.as_int(), &year, &month, &day);
      PyObject* d =
          PyDate_FromDate(static_cast<int>(year), static_cast<int>(month), static_cast<int>(day));
      if (d == nullptr) throw py::error_already_set();
      return py::reinterpret_steal<py::object>(d);
    }
    case TypeId::kTime: {
      EnsureDateTime();
      const int64_t us = v.as_long();
      if (us < 0 || us >= kMicrosPerDay) {
        throw Unrepresentable{std::to_string(us) +
                              " microseconds is outside the range of datetime.time (one day)"};
      }
      PyObject* t = PyTime_FromTime(static_cast<int>(us / (3600 * kMicrosPerSecond)),
                                    static_cast<int>(us / (60 * kMicrosPerSecond) % 60),
                                    static_cast<int>(us / kMicrosPerSecond % 60),
                                    static_cast<int>(us % kMicrosPerSecond));
      if (t == nullptr) throw py::error_already_set();
      return py::reinterpret_steal<py::object>(t);
    }
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz: {
      EnsureDateTime();
      const int64_t us = v.as_long();
      int64_t days = us / kMicrosPerDay;
      int64_t rem = us % kMicrosPerDay;
      if (rem < 0) {
        rem += kMicrosPerDay;
        --days;
      }
      if (days < FirstPythonDay() || days > LastPythonDay()) {
        throw Unrepresentable{FormatTimestamp(us, type.id == TypeId::kTimestampTz) + " is " +
                              kPythonRange};
      }
      int64_t year = 0;
      unsigned month = 0, day = 0;
      CivilFromDays(days, &year, &month, &day);
      py::object tz = type.id == TypeId::kTimestampTz ? Utc() : py::object(py::none());
      PyObject* t = PyDateTimeAPI->DateTime_FromDateAndTime(
          static_cast<int>(year), static_cast<int>(month), static_cast<int>(day),
          static_cast<int>(rem / (3600 * kMicrosPerSecond)),
          static_cast<int>(rem / (60 * kMicrosPerSecond) % 60),
          static_cast<int>(rem / kMicrosPerSecond % 60), static_cast<int>(rem % kMicrosPerSecond),
          tz.ptr(), PyDateTimeAPI->DateTimeType);
      if (t == nullptr) throw py::error_already_set();
      return py::reinterpret_steal<py::object>(t);
    }
    case TypeId::kString: {
      const std::string& s = v.as_bytes();
      PyObject* u = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "strict");
      if (u == nullptr) throw py::error_already_set();
      return py::reinterpret_steal<py::object>(u);
    }
    case TypeId::kUuid:
      return UuidClass()(py::arg("bytes") = py::bytes(v.as_bytes()));
    case TypeId::kFixed:
    case TypeId::kBinary:
      return py::bytes(v.as_bytes());
  }
  throw InvalidArgument("cannot convert a value of unknown type " + type.ToString());
}

// Value `v` of column `field` at `row` of a scan.
py::object CellValue(const Value& v, const Field& field, int64_t row) {
  if (v.is_null()) return py::none();
  try {
    return PythonValue(v, field.type);
  } catch (const Unrepresentable& e) {
    throw NotSupported("column '" + field.name + "' (" + field.type.ToString() + "), row " +
                       std::to_string(row) + ": " + e.detail +
                       "; leave the column out of the scan or read it with the CLI");
  }
}

}  // namespace

Value ToValue(py::handle obj, const DataType& type, const std::string& where) {
  if (obj.is_none()) return Value::Null();
  try {
    return Convert(obj, type);
  } catch (const ConversionError& e) {
    Rethrow(e, where);
  }
}

py::object FromValue(const Value& v, const DataType& type) {
  if (v.is_null()) return py::none();
  try {
    return PythonValue(v, type);
  } catch (const Unrepresentable& e) {
    throw NotSupported(e.detail);
  }
}

std::vector<Record> ToRecords(py::handle records, const Schema& schema) {
  if (PyUnicode_Check(records.ptr()) || PyBytes_Check(records.ptr()) ||
      PyDict_Check(records.ptr()) || !py::hasattr(records, "__iter__")) {
    throw SchemaMismatch(std::string("records must be a list of dicts keyed by column name, got ") +
                         Py_TYPE(records.ptr())->tp_name);
  }
  const std::vector<Field>& fields = schema.fields();
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < fields.size(); ++i) index.emplace(fields[i].name, i);

  std::vector<Record> out;
  if (py::hasattr(records, "__len__")) out.reserve(py::len(records));
  std::vector<char> seen(fields.size());
  int64_t n = 0;
  for (py::handle record : records) {
    const std::string where = "record " + std::to_string(n);
    if (!PyDict_Check(record.ptr()) && !py::hasattr(record, "items")) {
      throw SchemaMismatch(where + ": expected a dict keyed by column name, got " +
                           Py_TYPE(record.ptr())->tp_name + " " + Shown(record));
    }
    Record row(fields.size());
    std::fill(seen.begin(), seen.end(), 0);
    py::object items = PyDict_Check(record.ptr()) ? py::reinterpret_borrow<py::object>(record)
                                                  : py::dict(record.attr("items")());
    for (auto [key, value] : py::reinterpret_borrow<py::dict>(items)) {
      if (!PyUnicode_Check(key.ptr())) {
        throw SchemaMismatch(where + ": column names must be str, got " +
                             Py_TYPE(key.ptr())->tp_name + " " + Shown(key));
      }
      const std::string name = key.cast<std::string>();
      auto it = index.find(name);
      if (it == index.end()) {
        throw SchemaMismatch(where + ": unknown column '" + name +
                             "' (schema columns: " + ColumnList(schema) + ")");
      }
      const Field& field = fields[it->second];
      seen[it->second] = 1;
      if (value.is_none()) continue;
      try {
        row[it->second] = Convert(value, field.type);
      } catch (const ConversionError& e) {
        Rethrow(e, where + ", " + FieldWhere(field));
      }
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].required && row[i].is_null()) {
        throw SchemaMismatch(where + ": required " + FieldWhere(fields[i]) +
                             (seen[i] ? " is None" : " is missing"));
      }
    }
    out.push_back(std::move(row));
    ++n;
  }
  return out;
}

PartitionValues ToPartitionValues(py::handle values, const Schema& schema) {
  PartitionValues out;
  if (values.is_none()) return out;
  if (!PyDict_Check(values.ptr())) {
    throw SchemaMismatch(std::string("partition_values must be a dict keyed by column name, got ") +
                         Py_TYPE(values.ptr())->tp_name);
  }
  for (auto [key, value] : py::reinterpret_borrow<py::dict>(values)) {
    const std::string name = py::str(key);
    const int i = schema.IndexOf(name);
    if (i < 0) {
      throw SchemaMismatch("partition_values: unknown column '" + name +
                           "' (schema columns: " + ColumnList(schema) + ")");
    }
    const Field& field = schema.fields()[static_cast<size_t>(i)];
    out[name] = ToValue(value, field.type, "partition_values, " + FieldWhere(field));
  }
  return out;
}

py::dict RowToDict(const RecordBatch& batch, size_t i, int64_t row) {
  py::dict out;
  const std::vector<Field>& fields = batch.schema.fields();
  for (size_t c = 0; c < fields.size(); ++c) {
    out[py::str(fields[c].name)] = CellValue(batch.columns[c].Get(i), fields[c], row);
  }
  return out;
}

py::dict BatchToColumns(const RecordBatch& batch, int64_t first_row) {
  py::dict out;
  const std::vector<Field>& fields = batch.schema.fields();
  for (size_t c = 0; c < fields.size(); ++c) {
    py::list values(batch.columns[c].size());
    for (size_t i = 0; i < batch.columns[c].size(); ++i) {
      values[i] =
          CellValue(batch.columns[c].Get(i), fields[c], first_row + static_cast<int64_t>(i));
    }
    out[py::str(fields[c].name)] = values;
  }
  return out;
}

int64_t IntArg(py::handle obj, const char* name, int64_t lo, int64_t hi) {
  PyObject* o = obj.ptr();
  if (PyBool_Check(o) || !PyLong_Check(o)) {
    throw InvalidArgument(std::string(name) + " must be an int, got " + Py_TYPE(o)->tp_name + " " +
                          Shown(obj));
  }
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  if (overflow != 0 || v < lo || v > hi) {
    throw InvalidArgument(std::string(name) + " " + Shown(obj) + " is out of range (" +
                          std::to_string(lo) + " to " + std::to_string(hi) + ")");
  }
  return v;
}

std::optional<int64_t> OptionalIntArg(py::handle obj, const char* name) {
  if (obj.is_none()) return std::nullopt;
  return IntArg(obj, name);
}

std::string StrArg(py::handle obj, const char* name) {
  if (!PyUnicode_Check(obj.ptr())) {
    throw InvalidArgument(std::string(name) + " must be a str, got " + Py_TYPE(obj.ptr())->tp_name +
                          " " + Shown(obj));
  }
  return obj.cast<std::string>();
}

std::vector<std::string> StrListArg(py::handle obj, const char* name) {
  PyObject* o = obj.ptr();
  if (PyUnicode_Check(o) || PyBytes_Check(o) || !py::hasattr(obj, "__iter__")) {
    throw InvalidArgument(std::string(name) + " must be a list of str, got " + Py_TYPE(o)->tp_name +
                          " " + Shown(obj));
  }
  std::vector<std::string> out;
  for (py::handle item : obj) {
    if (!PyUnicode_Check(item.ptr())) {
      throw InvalidArgument(std::string(name) + " must be a list of str, got " +
                            Py_TYPE(item.ptr())->tp_name + " " + Shown(item) + " in it");
    }
    out.push_back(item.cast<std::string>());
  }
  return out;
}

py::object JsonToPython(const std::string& json_text) {
  return py::module_::import("json").attr("loads")(json_text);
}

nlohmann::json ToJson(py::handle obj, const std::string& where) {
  PyObject* o = obj.ptr();
  if (obj.is_none()) return nullptr;
  if (PyBool_Check(o)) return o == Py_True;
  if (PyLong_Check(o)) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
    if (overflow != 0) {
      throw InvalidArgument(where + ": the integer " + Shown(obj) + " does not fit in 64 bits");
    }
    return static_cast<int64_t>(v);
  }
  if (PyFloat_Check(o)) return obj.cast<double>();
  if (PyUnicode_Check(o)) return obj.cast<std::string>();
  if (PyList_Check(o) || PyTuple_Check(o)) {
    nlohmann::json out = nlohmann::json::array();
    for (py::handle item : obj) out.push_back(ToJson(item, where));
    return out;
  }
  if (PyDict_Check(o)) {
    nlohmann::json out = nlohmann::json::object();
    for (auto [key, value] : py::reinterpret_borrow<py::dict>(obj)) {
      if (!PyUnicode_Check(key.ptr())) {
        throw InvalidArgument(where + ": keys must be str, got " + Shown(key));
      }
      out[key.cast<std::string>()] = ToJson(value, where);
    }
    return out;
  }
  throw InvalidArgument(where + ": cannot use " + Py_TYPE(o)->tp_name + " " + Shown(obj) +
                        " (expected dict, list, str, int, float, bool or None)");
}

}  // namespace datashard::python

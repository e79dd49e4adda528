// Schema and PartitionSpec: the documented constructor
// Schema(schema_id=1, fields=[{"id": 1, "name": "record_id", "type": "long",
// "required": True}, ...]) parses the field list with the same code as the
// CLI's --schema (format/json/value_json.h).
#include <pybind11/stl.h>

#include "bindings.h"
#include "datashard/errors.h"
#include "datashard/partition_spec.h"
#include "datashard/schema.h"
#include "format/json/value_json.h"
#include "py_values.h"

namespace py = pybind11;

namespace datashard::python {
namespace {

// `schema_id` None: the schema-id of an Iceberg schema object in `fields`,
// else 0.
Schema MakeSchema(py::handle schema_id, py::handle fields) {
  if (fields.is_none()) {
    throw InvalidArgument(
        "Schema needs fields, e.g. Schema(schema_id=1, fields=[{\"id\": 1, \"name\": "
        "\"record_id\", \"type\": \"long\", \"required\": True}])");
  }
  nlohmann::json json = PyUnicode_Check(fields.ptr())
                            ? nlohmann::json::parse(fields.cast<std::string>(), nullptr, false)
                            : ToJson(fields, "Schema fields");
  if (json.is_discarded()) throw InvalidArgument("Schema fields: the text is not valid JSON");
  const Schema parsed = SchemaFromJson(json);
  if (schema_id.is_none()) return parsed;
  return Schema(static_cast<int>(IntArg(schema_id, "schema_id", INT32_MIN, INT32_MAX)),
                parsed.fields());
}

std::string FieldsJson(const Schema& schema) { return SchemaFieldsToJson(schema).dump(); }

py::object FieldDict(const Schema& schema, const Field& field) {
  Schema one(schema.schema_id(), {field});
  return JsonToPython(SchemaFieldsToJson(one).dump())[py::int_(0)];
}

py::list SpecFields(const PartitionSpec& spec) {
  py::list out;
  for (const PartitionField& f : spec.fields()) {
    py::dict d;
    d["source_id"] = f.source_id;
    d["field_id"] = f.field_id;
    d["name"] = f.name;
    d["transform"] = f.transform.ToString();
    out.append(d);
  }
  return out;
}

}  // namespace

void BindSchema(py::module_& m) {
  py::class_<Schema>(m, "Schema",
                     "An Iceberg schema: fields with stable ids, names, types and nullability.\n\n"
                     "Schema(schema_id=1, fields=[{\"id\": 1, \"name\": \"record_id\", "
                     "\"type\": \"long\", \"required\": True}, ...])\n\n"
                     "Types are Iceberg's type strings: boolean, int, long, float, double,\n"
                     "decimal(P, S), date, time, timestamp, timestamptz, string, uuid,\n"
                     "fixed[L], binary. `fields` may also be that list as JSON text.")
      .def(py::init(&MakeSchema), py::arg("schema_id") = py::none(), py::arg("fields") = py::none())
      .def_static(
          "from_json",
          [](py::handle text) { return MakeSchema(py::none(), py::str(StrArg(text, "text"))); },
          py::arg("text"),
          "Parses the field list as JSON text, or an Iceberg schema object "
          "{\"type\": \"struct\", \"schema-id\": N, \"fields\": [...]} (schema_id N; 0 for a "
          "plain list).")
      .def_property_readonly("schema_id", &Schema::schema_id)
      .def_property_readonly(
          "fields", [](const Schema& s) { return JsonToPython(FieldsJson(s)); },
          "The field list as dicts (id, name, type, required, doc when set).")
      .def_property_readonly("names",
                             [](const Schema& s) {
                               py::list out;
                               for (const Field& f : s.fields()) out.append(f.name);
                               return out;
                             })
      .def(
          "field",
          [](const Schema& s, const std::string& name) {
            const int i = s.IndexOf(name);
            if (i < 0) throw NotFound("schema has no field named '" + name + "'");
            return FieldDict(s, s.fields()[static_cast<size_t>(i)]);
          },
          py::arg("name"), "The field with this name as a dict; NotFound if absent.")
      .def("to_json", &FieldsJson, "The field list as JSON text (what the CLI's --schema takes).")
      .def(
          "validate", [](const Schema& s, py::handle records) { ToRecords(records, s); },
          py::arg("records"),
          "Checks records (dicts keyed by column name) as append_data would: raises\n"
          "SchemaMismatch naming the record index and field for an unknown column,\n"
          "a wrong type or a missing required field, InvalidArgument for a value out\n"
          "of range.")
      .def("__len__", [](const Schema& s) { return s.fields().size(); })
      .def("__contains__",
           [](const Schema& s, py::handle name) {
             return PyUnicode_Check(name.ptr()) && s.IndexOf(name.cast<std::string>()) >= 0;
           })
      // is_operator: another type gives NotImplemented (`schema == "x"` is False).
      .def(
          "__eq__", [](const Schema& a, const Schema& b) { return a == b; }, py::is_operator())
      .def(
          "__ne__", [](const Schema& a, const Schema& b) { return !(a == b); }, py::is_operator())
      .def("__hash__",
           [](const Schema& s) { return py::hash(py::make_tuple(s.schema_id(), FieldsJson(s))); })
      .def("__repr__",
           [](const Schema& s) {
             return "Schema(schema_id=" + std::to_string(s.schema_id()) +
                    ", fields=" + py::repr(JsonToPython(FieldsJson(s))).cast<std::string>() + ")";
           })
      .def(py::pickle([](const Schema& s) { return py::make_tuple(s.schema_id(), FieldsJson(s)); },
                      [](const py::tuple& t) { return MakeSchema(t[0], py::str(t[1])); }));

  py::class_<PartitionSpec>(m, "PartitionSpec",
                            "How a table's rows are split into partitions (identity, bucket,\n"
                            "truncate, year, month, day, hour). PartitionSpec() is unpartitioned;\n"
                            "PartitionSpec.parse(\"day(ts), bucket(16, id)\", schema) builds one.")
      .def(py::init<>())
      .def_static(
          "parse",
          [](const std::string& text, const Schema& schema) {
            return PartitionSpec::Parse(text, schema);
          },
          py::arg("text"), py::arg("schema"),
          "Builds a spec from a comma list of col | bucket(N,col) | truncate(W,col) |\n"
          "year(col) | month(col) | day(col) | hour(col); InvalidArgument naming a\n"
          "term that does not parse or apply to its column.")
      .def_property_readonly("spec_id", &PartitionSpec::spec_id)
      .def_property_readonly("fields", &SpecFields,
                             "Partition fields as dicts (source_id, field_id, name, transform).")
      .def_property_readonly("is_unpartitioned", &PartitionSpec::is_unpartitioned)
      .def(
          "__eq__", [](const PartitionSpec& a, const PartitionSpec& b) { return a == b; },
          py::is_operator())
      .def(
          "__ne__", [](const PartitionSpec& a, const PartitionSpec& b) { return !(a == b); },
          py::is_operator())
      .def("__repr__",
           [](const PartitionSpec& s) {
             return "PartitionSpec(spec_id=" + std::to_string(s.spec_id()) +
                    ", fields=" + py::repr(SpecFields(s)).cast<std::string>() + ")";
           })
      .def(py::pickle(
          [](const PartitionSpec& s) {
            py::list fields;
            for (const PartitionField& f : s.fields()) {
              fields.append(
                  py::make_tuple(f.source_id, f.field_id, f.name, f.transform.ToString()));
            }
            return py::make_tuple(s.spec_id(), fields);
          },
          [](const py::tuple& t) {
            if (t.size() != 2) {
              throw InvalidArgument("cannot unpickle a PartitionSpec from this state");
            }
            std::vector<PartitionField> fields;
            for (py::handle item : t[1]) {
              const py::tuple f = py::reinterpret_borrow<py::tuple>(item);
              PartitionField field;
              field.source_id = f[0].cast<int>();
              field.field_id = f[1].cast<int>();
              field.name = f[2].cast<std::string>();
              field.transform = Transform::Parse(f[3].cast<std::string>());
              fields.push_back(std::move(field));
            }
            return PartitionSpec(t[0].cast<int>(), std::move(fields));
          }));
}

}  // namespace datashard::python

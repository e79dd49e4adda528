#include "metadata/spec_evolution.h"

#include <algorithm>
#include <set>

#include "datashard/errors.h"
#include "metadata/partition_term.h"

namespace datashard {
namespace {

bool IsTimeTransform(const Transform& t) {
  const TransformKind k = t.kind();
  return k == TransformKind::kYear || k == TransformKind::kMonth || k == TransformKind::kDay ||
         k == TransformKind::kHour;
}

}  // namespace

PartitionSpecUpdate& PartitionSpecUpdate::AddField(const std::string& source,
                                                   const Transform& transform,
                                                   const std::string& name) {
  changes_.push_back({PartitionSpecChange::Kind::kAddField, source, transform, name});
  return *this;
}

PartitionSpecUpdate& PartitionSpecUpdate::AddFieldTerm(const std::string& term,
                                                       const std::string& name) {
  const PartitionTerm parsed = ParsePartitionTerm(term);
  return AddField(parsed.column, parsed.transform, name);
}

PartitionSpecUpdate& PartitionSpecUpdate::RemoveField(const std::string& name) {
  changes_.push_back({PartitionSpecChange::Kind::kRemoveField, "", Transform(), name});
  return *this;
}

std::vector<PartitionField> EvolveSpec(const TableMetadata& metadata,
                                       const std::vector<PartitionSpecChange>& changes,
                                       const std::string& table) {
  const Schema& schema = metadata.CurrentSchema();
  std::vector<PartitionField> fields = metadata.DefaultSpec().fields();
  int last_id = metadata.last_partition_id;
  for (const PartitionSpec& s : metadata.partition_specs)
    last_id = std::max(last_id, s.last_field_id());
  std::set<std::string> added;  // names of fields this update added
  const auto refuse = [&](const std::string& what, const std::string& why) {
    throw InvalidArgument("partition spec change of " + table + " refused: " + what + ": " + why);
  };
  const auto named = [&](const std::string& name) {
    return std::find_if(fields.begin(), fields.end(),
                        [&](const PartitionField& f) { return f.name == name; });
  };
  for (const PartitionSpecChange& c : changes) {
    if (c.kind == PartitionSpecChange::Kind::kRemoveField) {
      const std::string what = "cannot remove partition field '" + c.name + "'";
      const auto it = named(c.name);
      if (it == fields.end()) refuse(what, "the default spec has no field of that name");
      if (added.count(c.name)) refuse(what, "this same update adds it");
      // v2 drops the field; files written with it keep their spec.
      fields.erase(it);
      continue;
    }
    const std::string term = c.transform.ToString() + "(" + c.source + ")";
    const int index = schema.IndexOf(c.source);
    if (index < 0) {
      refuse("cannot add partition field " + term, "the table has no column '" + c.source + "'");
    }
    const Field& source = schema.fields()[static_cast<size_t>(index)];
    const std::string name =
        c.name.empty() ? DefaultPartitionFieldName(c.source, c.transform) : c.name;
    const std::string what = "cannot add partition field '" + name + "' " + term;
    if (!c.transform.CanApplyTo(source.type)) {
      refuse(what, c.transform.ToString() + " cannot apply to column '" + source.name +
                       "' of type " + source.type.ToString());
    }
    for (const PartitionField& f : fields) {
      if (f.source_id != source.id) continue;
      if (f.transform == c.transform) {
        refuse(what, "field '" + f.name + "' already partitions by " + term);
      }
      if (IsTimeTransform(f.transform) && IsTimeTransform(c.transform)) {
        refuse(what, "field '" + f.name + "' already partitions column '" + source.name + "' by " +
                         f.transform.ToString() + " (one time transform per column)");
      }
    }
    if (named(name) != fields.end()) refuse(what, "the spec has a field of that name");
    const int clash = schema.IndexOf(name);
    if (clash >= 0 && !(c.transform.kind() == TransformKind::kIdentity && clash == index)) {
      refuse(what, "'" + name + "' is the name of a column it is not an identity of");
    }
    // The id of the same field in an earlier spec, so that partition values
    // of old and new files line up (Java's recycling in v2).
    int id = 0;
    for (const PartitionSpec& s : metadata.partition_specs) {
      for (const PartitionField& f : s.fields()) {
        if (id == 0 && f.source_id == source.id && f.transform == c.transform &&
            (c.name.empty() || f.name == c.name)) {
          id = f.field_id;
        }
      }
    }
    const bool id_in_use = std::any_of(fields.begin(), fields.end(),
                                       [&](const PartitionField& f) { return f.field_id == id; });
    if (id == 0 || id_in_use) id = ++last_id;
    fields.push_back(PartitionField{source.id, id, name, c.transform});
    added.insert(name);
  }
  PartitionSpec(0, fields).Validate(schema);
  return fields;
}

void SetDefaultSpec(TableMetadata* metadata, const std::vector<PartitionField>& fields) {
  int next_id = 0;
  for (const PartitionSpec& s : metadata->partition_specs) {
    if (s.fields() == fields) {
      metadata->default_spec_id = s.spec_id();
      return;
    }
    next_id = std::max(next_id, s.spec_id() + 1);
  }
  PartitionSpec spec(next_id, fields);
  metadata->last_partition_id = std::max(metadata->last_partition_id, spec.last_field_id());
  metadata->partition_specs.push_back(std::move(spec));
  metadata->default_spec_id = next_id;
}

}  // namespace datashard

// `datashard alter` and `datashard expire` (DESIGN.md §11): metadata-only
// commits of a table. Parsing and printing only; the table API does the work.
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "datashard/errors.h"
#include "datashard/lock_manager.h"
#include "datashard/table.h"
#include "format/json/value_json.h"
#include "metadata/table_metadata_json.h"

namespace datashard::cli {
namespace {

struct AlterArgs {
  TableArgument table;
  std::string name;      // the column; for rename-column OLD; the partition TRANSFORM or NAME
  std::string other;     // TYPE, rename-column NEW, move-column OTHER, set-property K=V, --name
  std::string position;  // move-column: first, before or after
  std::string doc;
  bool json = false;
};

// What an alter changed, printed without --json: the new schema or spec id.
enum class Changed { kSchema, kSpec, kProperty };

void PrintAlter(const Table& table, const AlterArgs& a, Changed changed) {
  const Schema schema = table.schema();
  const PartitionSpec spec = table.spec();
  if (a.json) {
    nlohmann::json properties = nlohmann::json::object();
    for (const auto& [k, v] : table.metadata().properties) properties[k] = v;
    std::cout << nlohmann::json{{"schema_id", schema.schema_id()},
                                {"schema", SchemaFieldsToJson(schema)},
                                {"spec_id", spec.spec_id()},
                                {"spec", PartitionFieldsToJson(spec)},
                                {"properties", properties},
                                {"metadata_version", table.metadata_version()}}
                     .dump()
              << "\n";
  } else if (changed == Changed::kSchema) {
    std::cout << schema.schema_id() << "\n";
  } else if (changed == Changed::kSpec) {
    std::cout << spec.spec_id() << "\n";
  }
}

void RunSchemaChange(const AlterArgs& a, const SchemaUpdate& update) {
  Table table = OpenTableArgument(a.table);
  table.UpdateSchema(update);
  PrintAlter(table, a, Changed::kSchema);
}

void RunSpecChange(const AlterArgs& a, const PartitionSpecUpdate& update) {
  Table table = OpenTableArgument(a.table);
  table.UpdateSpec(update);
  PrintAlter(table, a, Changed::kSpec);
}

struct ExpireArgs {
  TableArgument table;
  std::string older_than;
  int64_t retain_last = -1;  // negative: not given
  bool json = false;
};

void RunExpire(const ExpireArgs& a) {
  Table table = OpenTableArgument(a.table);
  ExpireOptions options;
  if (!a.older_than.empty()) options.older_than_ms = ParseLockDuration(a.older_than).count();
  if (a.retain_last >= 0) options.retain_last = a.retain_last;
  const ExpireReport r = table.ExpireSnapshots(options);
  if (a.json) {
    std::cout << nlohmann::json{{"expired_snapshot_ids", r.expired_snapshot_ids},
                                {"kept_snapshots", r.kept_snapshots},
                                {"manifest_lists", r.manifest_lists},
                                {"manifests", r.manifests},
                                {"data_files", r.data_files},
                                {"delete_files", r.delete_files},
                                {"statistics_files", r.statistics_files},
                                {"bytes", r.bytes},
                                {"grace_ms", r.grace_ms},
                                {"delete_after_ms", r.delete_after_ms}}
                     .dump()
              << "\n";
    return;
  }
  for (int64_t id : r.expired_snapshot_ids) std::cout << id << "\n";
  std::cerr << "expired " << r.expired_snapshot_ids.size() << " snapshots, kept "
            << r.kept_snapshots << "; removed " << r.manifest_lists << " manifest lists, "
            << r.manifests << " manifests, " << r.data_files << " data files, " << r.delete_files
            << " delete files, " << r.statistics_files << " statistics files (" << r.bytes
            << " bytes)";
  if (!r.expired_snapshot_ids.empty()) {
    if (r.grace_ms == 0) {
      std::cerr << ", deleted";
    } else {
      std::cerr << ", to be deleted in " << r.grace_ms
                << " ms (table property datashard.expire.delete-grace-ms)";
    }
  }
  std::cerr << "\n";
}

}  // namespace

void AddAlterCommands(CLI::App& app) {
  auto a = std::make_shared<AlterArgs>();
  CLI::App* alter = app.add_subcommand(
      "alter",
      "Change a table's schema (by field id, Iceberg's rules), partition spec or a property in "
      "one commit; prints the new schema id after a column change, the new spec id after a "
      "partition change");
  AddTableArgument(alter, a->table, "Table folder");
  alter->add_flag("--json", a->json,
                  "One JSON object: schema_id, schema (the field list), spec_id, spec (its "
                  "fields), properties, metadata_version");
  alter->require_subcommand(1);
  alter->fallthrough();

  CLI::App* add = alter->add_subcommand("add-column", "Add an optional column at the end");
  add->add_option("NAME", a->name, "Column name")->required();
  add->add_option("TYPE", a->other, "Iceberg type: long, string, decimal(18, 3), ...")->required();
  add->add_option("--doc", a->doc, "The column's documentation")->type_name("TEXT");
  add->callback([a] {
    RunSchemaChange(*a, SchemaUpdate().AddColumn(a->name, DataType::Parse(a->other), a->doc));
  });

  CLI::App* rename = alter->add_subcommand("rename-column", "Rename a column (its id stays)");
  rename->add_option("OLD", a->name, "Current name")->required();
  rename->add_option("NEW", a->other, "New name")->required();
  rename->callback([a] { RunSchemaChange(*a, SchemaUpdate().RenameColumn(a->name, a->other)); });

  CLI::App* drop = alter->add_subcommand(
      "drop-column", "Drop a column (its id is never reused; old files keep its data)");
  drop->add_option("NAME", a->name, "Column name")->required();
  drop->callback([a] { RunSchemaChange(*a, SchemaUpdate().DropColumn(a->name)); });

  CLI::App* widen = alter->add_subcommand(
      "widen-column", "Promote a column: int to long, float to double, decimal(P,S) to (P',S)");
  widen->add_option("NAME", a->name, "Column name")->required();
  widen->add_option("TYPE", a->other, "The wider type")->required();
  widen->callback(
      [a] { RunSchemaChange(*a, SchemaUpdate().WidenColumn(a->name, DataType::Parse(a->other))); });

  CLI::App* move = alter->add_subcommand(
      "move-column",
      "Move a column: first, or before or after another column (only its position changes)");
  move->add_option("NAME", a->name, "Column name")->required();
  move->add_option("WHERE", a->position, "first, before or after")
      ->required()
      ->check(CLI::IsMember({"first", "before", "after"}));
  move->add_option("OTHER", a->other, "The column to move before or after");
  move->callback([a] {
    if ((a->position == "first") != a->other.empty()) {
      throw InvalidArgument("move-column " + a->name + " " + a->position +
                            (a->position == "first"
                                 ? " takes no other column"
                                 : " needs the other column: " + a->position + " OTHER"));
    }
    SchemaUpdate update;
    if (a->position == "first") {
      update.MoveFirst(a->name);
    } else if (a->position == "before") {
      update.MoveBefore(a->name, a->other);
    } else {
      update.MoveAfter(a->name, a->other);
    }
    RunSchemaChange(*a, update);
  });

  CLI::App* add_field = alter->add_subcommand(
      "add-partition-field",
      "Partition new appends also by TRANSFORM (a new default spec; files written before keep "
      "theirs); prints the new spec id");
  add_field
      ->add_option("TRANSFORM", a->name,
                   "col | bucket(N,col) | truncate(W,col) | year(col) | month(col) | day(col) | "
                   "hour(col), as create --partition-by spells them")
      ->required();
  add_field
      ->add_option("--name", a->other,
                   "The partition field's name (default: col, col_bucket, col_trunc, col_day, ...)")
      ->type_name("NAME");
  add_field->callback(
      [a] { RunSpecChange(*a, PartitionSpecUpdate().AddFieldTerm(a->name, a->other)); });

  CLI::App* remove_field = alter->add_subcommand(
      "remove-partition-field",
      "Stop partitioning new appends by a field (a new default spec; files written before keep "
      "theirs); prints the new spec id");
  remove_field->add_option("NAME", a->name, "The partition field's name")->required();
  remove_field->callback([a] { RunSpecChange(*a, PartitionSpecUpdate().RemoveField(a->name)); });

  CLI::App* set = alter->add_subcommand("set-property", "Set a table property");
  set->add_option("K=V", a->other, "Property and value")->required();
  set->callback([a] {
    const size_t eq = a->other.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InvalidArgument("set-property '" + a->other + "' is not KEY=VALUE");
    Table table = OpenTableArgument(a->table);
    table.SetProperties({{a->other.substr(0, eq), a->other.substr(eq + 1)}});
    PrintAlter(table, *a, Changed::kProperty);
  });

  auto e = std::make_shared<ExpireArgs>();
  CLI::App* expire = app.add_subcommand(
      "expire",
      "Expire snapshots older than a duration except the newest N, in one commit, and delete "
      "the files only they referenced (after the table's grace period); prints the expired "
      "snapshot ids");
  AddTableArgument(expire, e->table, "Table folder");
  expire
      ->add_option("--older-than", e->older_than,
                   "Expire snapshots older than this: a number with ms, s, m or h (default: "
                   "table property history.expire.max-snapshot-age-ms)")
      ->type_name("DURATION");
  expire
      ->add_option("--retain-last", e->retain_last,
                   "Keep the newest N snapshots of the current branch (default: table property "
                   "history.expire.min-snapshots-to-keep)")
      ->type_name("N");
  expire->add_flag("--json", e->json,
                   "One JSON object: expired_snapshot_ids, kept_snapshots, manifest_lists, "
                   "manifests, data_files, delete_files, statistics_files, bytes, grace_ms, "
                   "delete_after_ms");
  expire->callback([e] { RunExpire(*e); });
}

}  // namespace datashard::cli

// Schema evolution by field id (Table::UpdateSchema, issue 15 item 3): the
// schema JSON each change writes, old files read under the new schema,
// refusals before anything is written, property changes, appends that
// rebase over a concurrent schema change (also from another process), and
// tables with an ingest log.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <variant>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "datashard/scan.h"
#include "datashard/table.h"
#include "io/temp_dir.h"
#include "metadata/schema_evolution.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::ExpectVerifies;
using testing::IdValueRows;
using testing::IdValueSchema;

// The metadata file of the table's current version, parsed.
nlohmann::json MetadataJson(Table& t) {
  t.Refresh();
  return nlohmann::json::parse(t.io().ReadFile(
      t.location() + "/metadata/v" + std::to_string(t.metadata_version()) + ".metadata.json"));
}

// The current schema's fields as written, and the whole schemas list.
nlohmann::json CurrentFields(const nlohmann::json& m) {
  for (const nlohmann::json& s : m["schemas"]) {
    if (s["schema-id"] == m["current-schema-id"]) return s["fields"];
  }
  return nullptr;
}

// A value as text: null, a number, or a string's bytes; a decimal as its
// unscaled value.
std::string Text(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "null";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return x;
        } else if constexpr (std::is_same_v<T, Int128>) {
          return std::to_string(static_cast<int64_t>(x));
        } else {
          std::ostringstream out;
          out << x;
          return out.str();
        }
      },
      v.storage());
}

// Rows of a scan as text, sorted.
std::vector<std::string> Rows(Table& t, std::optional<int64_t> snapshot = std::nullopt) {
  std::vector<std::string> out;
  for (const Record& r : t.ScanAll(snapshot)) {
    std::string line;
    for (const Value& v : r) line += (line.empty() ? "" : ",") + Text(v);
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class SchemaEvolutionTest : public ::testing::Test {
 protected:
  Table TwoRows() {
    Table t = CreateTable(dir_.Join("t"), IdValueSchema());
    t.AppendRecords(IdValueRows(1, 2), IdValueSchema());
    return t;
  }
  TempDir dir_;
};

TEST_F(SchemaEvolutionTest, AddedColumnGetsTheNextIdIsOptionalAndReadsNullInOldFiles) {
  Table t = TwoRows();
  const int64_t version = t.metadata_version();
  const Schema s = t.UpdateSchema(SchemaUpdate().AddColumn("score", DataType::Long(), "points"));
  EXPECT_EQ(s.schema_id(), 2);  // the created schema is 1
  const nlohmann::json m = MetadataJson(t);
  EXPECT_EQ(t.metadata_version(), version + 1);
  EXPECT_EQ(m["current-schema-id"], 2);
  EXPECT_EQ(m["last-column-id"], 3);
  ASSERT_EQ(m["schemas"].size(), 2u);
  EXPECT_EQ(m["schemas"][0]["schema-id"], 1);
  EXPECT_EQ(m["schemas"][0]["fields"].size(), 2u);
  EXPECT_EQ(CurrentFields(m).dump(),
            R"([{"id":1,"name":"record_id","required":true,"type":"long"},)"
            R"({"id":2,"name":"value","required":true,"type":"string"},)"
            R"({"doc":"points","id":3,"name":"score","required":false,"type":"long"}])");
  // A metadata-only commit: the snapshot stays.
  EXPECT_EQ(m["snapshots"].size(), 1u);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"1,v1,null", "2,v2,null"}));
  // New rows carry the column; old and new files read together.
  t.AppendRecords({{Value(int64_t{3}), Value("v3"), Value(int64_t{30})}}, s);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"1,v1,null", "2,v2,null", "3,v3,30"}));
  EXPECT_EQ(NewScan(t).Filter("score is null").Count(), 2);
  EXPECT_EQ(NewScan(t).Filter("score = 30").Count(), 1);
  ExpectVerifies(t);
}

TEST_F(SchemaEvolutionTest, RenameKeepsTheIdAndOldFilesReadByIt) {
  Table t = TwoRows();
  t.UpdateSchema(SchemaUpdate().RenameColumn("value", "label"));
  const nlohmann::json m = MetadataJson(t);
  EXPECT_EQ(CurrentFields(m).dump(),
            R"([{"id":1,"name":"record_id","required":true,"type":"long"},)"
            R"({"id":2,"name":"label","required":true,"type":"string"}])");
  EXPECT_EQ(m["last-column-id"], 2);
  EXPECT_EQ(NewScan(t).Filter("label = 'v2'").Count(), 1);
  std::unique_ptr<BatchReader> r = t.ScanBatches(std::nullopt, {"label"});
  RecordBatch b;
  ASSERT_TRUE(r->Next(&b));
  EXPECT_EQ(b.schema.fields()[0].name, "label");
  EXPECT_EQ(Text(b.columns[0].Get(0)), "v1");
  ExpectVerifies(t);
}

TEST_F(SchemaEvolutionTest, DroppedIdIsRetiredAndAColumnAddedUnderItsNameReadsNull) {
  Table t = TwoRows();
  t.UpdateSchema(SchemaUpdate().DropColumn("value"));
  nlohmann::json m = MetadataJson(t);
  EXPECT_EQ(CurrentFields(m).dump(),
            R"([{"id":1,"name":"record_id","required":true,"type":"long"}])");
  EXPECT_EQ(m["last-column-id"], 2);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"1", "2"}));
  // The old files still hold field 2; a new column of that name is field 3
  // and does not bring their values back.
  t.UpdateSchema(SchemaUpdate().AddColumn("value", DataType::String()));
  m = MetadataJson(t);
  EXPECT_EQ(CurrentFields(m)[1].dump(),
            R"({"id":3,"name":"value","required":false,"type":"string"})");
  EXPECT_EQ(m["last-column-id"], 3);
  EXPECT_EQ(m["schemas"].size(), 3u);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"1,null", "2,null"}));
  ExpectVerifies(t);
}

TEST_F(SchemaEvolutionTest, WidenedColumnsConvertOldValuesAndPruneByOldBounds) {
  const Schema narrow(0, {Field{1, "i", DataType::Int(), true}, Field{2, "f", DataType::Float()},
                          Field{3, "d", DataType::Decimal(9, 2)}});
  Table t = CreateTable(dir_.Join("w"), narrow);
  for (int32_t i : {1, 7}) {
    t.AppendRecords({{Value(i), Value(static_cast<float>(i) + 0.5f), Value::Decimal(i * 100 + 25)}},
                    narrow);
  }
  const Schema wide = t.UpdateSchema(SchemaUpdate()
                                         .WidenColumn("i", DataType::Long())
                                         .WidenColumn("f", DataType::Double())
                                         .WidenColumn("d", DataType::Decimal(18, 2)));
  EXPECT_EQ(CurrentFields(MetadataJson(t)).dump(),
            R"([{"id":1,"name":"i","required":true,"type":"long"},)"
            R"({"id":2,"name":"f","required":false,"type":"double"},)"
            R"j({"id":3,"name":"d","required":false,"type":"decimal(18, 2)"}])j");
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"1,1.5,125", "7,7.5,725"}));
  for (const Record& r : t.ScanAll()) {
    EXPECT_TRUE(std::holds_alternative<int64_t>(r[0].storage()));
    EXPECT_TRUE(std::holds_alternative<double>(r[1].storage()));
  }
  ScanMetrics metrics;
  EXPECT_EQ(NewScan(t).Filter("i > 5").Count(&metrics), 1);
  EXPECT_EQ(metrics.data_files_pruned, 1);  // the int bounds of the first file, read as long
  t.AppendRecords({{Value(int64_t{1} << 40), Value(0.25), Value::Decimal(123456789012LL)}}, wide);
  EXPECT_EQ(NewScan(t).Filter("i > 5").Count(), 2);
  ExpectVerifies(t);
}

TEST_F(SchemaEvolutionTest, SeveralChangesInOneCommitSeeEachOther) {
  Table t = TwoRows();
  t.UpdateSchema(SchemaUpdate()
                     .AddColumn("n", DataType::Int())
                     .RenameColumn("n", "count")
                     .WidenColumn("count", DataType::Long())
                     .DropColumn("value"));
  const nlohmann::json m = MetadataJson(t);
  EXPECT_EQ(CurrentFields(m).dump(),
            R"([{"id":1,"name":"record_id","required":true,"type":"long"},)"
            R"({"id":3,"name":"count","required":false,"type":"long"}])");
  EXPECT_EQ(m["schemas"].size(), 2u);  // one commit, one schema
}

// Rows of a scan with their column names, unsorted (one scan, files in order).
std::vector<std::string> NamedRows(Table& t) {
  std::vector<std::string> out;
  std::unique_ptr<BatchReader> r = t.ScanBatches();
  RecordBatch b;
  while (r->Next(&b)) {
    for (size_t i = 0; i < b.num_rows(); ++i) {
      std::string line;
      for (size_t c = 0; c < b.columns.size(); ++c)
        line += (c ? "," : "") + b.schema.fields()[c].name + "=" + Text(b.columns[c].Get(i));
      out.push_back(line);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(SchemaEvolutionTest, MovesReorderColumnsAndFilesOfEveryOrderReadById) {
  Table t = TwoRows();
  t.UpdateSchema(SchemaUpdate().AddColumn("score", DataType::Long()).MoveFirst("score"));
  nlohmann::json m = MetadataJson(t);
  EXPECT_EQ(CurrentFields(m).dump(), R"([{"id":3,"name":"score","required":false,"type":"long"},)"
                                     R"({"id":1,"name":"record_id","required":true,"type":"long"},)"
                                     R"({"id":2,"name":"value","required":true,"type":"string"}])");
  EXPECT_EQ(m["schemas"].size(), 2u);
  EXPECT_EQ(m["last-column-id"], 3);
  // A file written in the new order, then a move of a column between two others.
  t.AppendRecords({{Value(int64_t{30}), Value(int64_t{3}), Value("v3")}}, t.schema());
  t.UpdateSchema(SchemaUpdate().MoveAfter("record_id", "value"));
  EXPECT_EQ(NamedRows(t), (std::vector<std::string>{"score=30,value=v3,record_id=3",
                                                    "score=null,value=v1,record_id=1",
                                                    "score=null,value=v2,record_id=2"}));
  t.UpdateSchema(SchemaUpdate().MoveBefore("value", "score"));
  m = MetadataJson(t);
  EXPECT_EQ(CurrentFields(m).dump(),
            R"([{"id":2,"name":"value","required":true,"type":"string"},)"
            R"({"id":3,"name":"score","required":false,"type":"long"},)"
            R"({"id":1,"name":"record_id","required":true,"type":"long"}])");
  EXPECT_EQ(m["schemas"].size(), 4u);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"v1,null,1", "v2,null,2", "v3,30,3"}));
  EXPECT_EQ(NewScan(t).Filter("record_id >= 2 and score is null").Count(), 1);
  // Rows appended by name land in their columns whatever the order.
  t.AppendRecords(std::vector<NamedRecord>{{{"record_id", Value(int64_t{4})},
                                            {"value", Value("v4")},
                                            {"score", Value(int64_t{40})}}},
                  t.schema());
  EXPECT_EQ(Rows(t).back(), "v4,40,4");
  // Back to an earlier order: its schema is reused.
  t.UpdateSchema(SchemaUpdate().MoveAfter("value", "record_id"));
  m = MetadataJson(t);
  EXPECT_EQ(m["current-schema-id"], 2);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"30,3,v3", "40,4,v4", "null,1,v1", "null,2,v2"}));
  ExpectVerifies(t);
}

TEST_F(SchemaEvolutionTest, UnsafeChangesAreRefusedNamingColumnAndRuleBeforeAnythingIsWritten) {
  const Schema schema(
      0,
      {Field{1, "id", DataType::Long(), true}, Field{2, "part", DataType::Int()},
       Field{3, "v", DataType::String()}, Field{4, "amount", DataType::Decimal(9, 2)}},
      {1});
  Table t = CreateTable(dir_.Join("p"), schema, PartitionSpec::Parse("part", schema));
  const int64_t version = t.metadata_version();
  const std::string prefix = "schema change of " + t.location() + " refused: ";
  const auto refused = [&](const SchemaUpdate& u, const std::string& message) {
    try {
      t.UpdateSchema(u);
      ADD_FAILURE() << "accepted: " << message;
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(e.what(), prefix + message);
    }
  };
  refused(SchemaUpdate().AddColumn("v", DataType::Long()),
          "cannot add column 'v': the table has a column of that name");
  refused(SchemaUpdate().RenameColumn("v", "id"),
          "cannot rename column 'v' to 'id': the table has a column of that name");
  refused(SchemaUpdate().DropColumn("nope"),
          "cannot drop column 'nope': the table has no column of that name");
  refused(SchemaUpdate().DropColumn("part"),
          "cannot drop column 'part': it is the source of partition field 'part' (spec 0)");
  refused(SchemaUpdate().DropColumn("id"),
          "cannot drop column 'id': it is an identifier field of the schema");
  refused(SchemaUpdate().WidenColumn("part", DataType::Long()),
          "cannot widen column 'part' from int to long: it is the source of partition field "
          "'part' (spec 0), whose values keep their type");
  refused(SchemaUpdate().WidenColumn("v", DataType::Binary()),
          "cannot widen column 'v' from string to binary: Iceberg allows only int to long, float "
          "to double and decimal(P,S) to decimal(P',S) with P' > P");
  refused(SchemaUpdate().WidenColumn("amount", DataType::Decimal(10, 3)),
          "cannot widen column 'amount' from decimal(9, 2) to decimal(10, 3): Iceberg allows "
          "only int to long, float to double and decimal(P,S) to decimal(P',S) with P' > P");
  refused(SchemaUpdate().WidenColumn("amount", DataType::Decimal(9, 2)),
          "cannot widen column 'amount' from decimal(9, 2) to decimal(9, 2): it has that type "
          "already");
  refused(SchemaUpdate().WidenColumn("id", DataType::Int()),
          "cannot widen column 'id' from long to int: Iceberg allows only int to long, float to "
          "double and decimal(P,S) to decimal(P',S) with P' > P");
  refused(SchemaUpdate().MoveFirst("nope"),
          "cannot move column 'nope': the table has no column of that name");
  refused(SchemaUpdate().MoveBefore("v", "nope"),
          "cannot move column 'v' before 'nope': the table has no column of that name");
  refused(SchemaUpdate().MoveAfter("v", "v"),
          "cannot move column 'v' after 'v': a column cannot move relative to itself");
  // A dropped column is gone for later changes of the same update.
  refused(SchemaUpdate().AddColumn("x", DataType::Long()).DropColumn("x").MoveFirst("x"),
          "cannot move column 'x': the table has no column of that name");
  // A good change before a bad one commits nothing.
  refused(SchemaUpdate().AddColumn("x", DataType::Long()).DropColumn("x").DropColumn("id"),
          "cannot drop column 'id': it is an identifier field of the schema");
  EXPECT_THROW(t.UpdateSchema(SchemaUpdate()), InvalidArgument);
  t.Refresh();
  EXPECT_EQ(t.metadata_version(), version);
  EXPECT_EQ(t.metadata().schemas.size(), 1u);
  // Identifier fields survive a change and are written back.
  t.UpdateSchema(SchemaUpdate().RenameColumn("id", "key"));
  const nlohmann::json m = MetadataJson(t);
  EXPECT_EQ(m["schemas"][1]["identifier-field-ids"].dump(), "[1]");

  Table one = CreateTable(dir_.Join("one"), Schema(0, {Field{1, "only", DataType::Long()}}));
  try {
    one.UpdateSchema(SchemaUpdate().DropColumn("only"));
    ADD_FAILURE();
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.what(), "schema change of " + one.location() +
                            " refused: cannot drop column 'only': it is the table's last column");
  }
}

TEST_F(SchemaEvolutionTest, ReturningToAnEarlierSchemaReusesItsId) {
  Table t = TwoRows();
  t.UpdateSchema(SchemaUpdate().RenameColumn("value", "label"));
  t.UpdateSchema(SchemaUpdate().RenameColumn("label", "value"));
  const nlohmann::json m = MetadataJson(t);
  EXPECT_EQ(m["current-schema-id"], 1);
  EXPECT_EQ(m["schemas"].size(), 2u);
}

TEST_F(SchemaEvolutionTest, SetPropertiesCommitsAndRefusesBadValues) {
  Table t = TwoRows();
  t.SetProperties({{"commit.retry.num-retries", "7"}, {"owner", "ops"}});
  EXPECT_EQ(MetadataJson(t)["properties"]["owner"], "ops");
  t.SetProperties({}, {"owner"});
  EXPECT_FALSE(MetadataJson(t)["properties"].contains("owner"));
  EXPECT_EQ(MetadataJson(t)["properties"]["commit.retry.num-retries"], "7");
  const int64_t version = t.metadata_version();
  EXPECT_THROW(t.SetProperties({{"commit.retry.num-retries", "many"}}), InvalidArgument);
  EXPECT_THROW(t.SetProperties({{"history.expire.min-snapshots-to-keep", "-1"}}), InvalidArgument);
  EXPECT_THROW(t.SetProperties({{"datashard.ingest-log.enabled", "true"}}), InvalidArgument);
  EXPECT_THROW(t.SetProperties({}), InvalidArgument);
  t.Refresh();
  EXPECT_EQ(t.metadata_version(), version);
}

TEST_F(SchemaEvolutionTest, AppendRebasesOverAConcurrentSchemaChange) {
  Table t = TwoRows();
  Transaction tx = t.NewTransaction();
  tx.AppendData(IdValueRows(10, 1), IdValueSchema());
  Table other = OpenTable(t.location());
  other.UpdateSchema(SchemaUpdate().AddColumn("score", DataType::Long()).DropColumn("value"));
  EXPECT_TRUE(tx.Commit());
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"1,null", "10,null", "2,null"}));
  // The snapshot records the schema current when it committed.
  EXPECT_EQ(tx.committed_snapshot()->schema_id, 2);
  ExpectVerifies(t);
}

TEST_F(SchemaEvolutionTest, RowChangeConflictsWithAConcurrentSchemaChange) {
  Table t = TwoRows();
  Transaction tx = t.NewTransaction();
  EXPECT_EQ(tx.Delete("record_id = 1"), 1);
  OpenTable(t.location()).UpdateSchema(SchemaUpdate().AddColumn("score", DataType::Long()));
  try {
    tx.Commit();
    ADD_FAILURE();
  } catch (const CommitConflict& e) {
    EXPECT_NE(std::string(e.what()).find("changed since the transaction started"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(Rows(t).size(), 2u);
}

TEST(SchemaFitTest, IncompatibleChangesForAnOlderWriterAreConflicts) {
  const Schema written(0,
                       {Field{1, "a", DataType::Int(), true}, Field{2, "b", DataType::String()}});
  // Widened, renamed, dropped and optional added columns all fit.
  EXPECT_NO_THROW(CheckWritesFit(
      written,
      Schema(1, {Field{1, "a2", DataType::Long(), true}, Field{3, "c", DataType::Double()}}),
      "an append"));
  try {
    CheckWritesFit(written, Schema(1, {Field{1, "a", DataType::String(), true}}), "an append");
    ADD_FAILURE();
  } catch (const CommitConflict& e) {
    EXPECT_STREQ(e.what(),
                 "an append wrote column 'a' as int, which does not read as its type string after "
                 "a concurrent schema change");
  }
  try {
    CheckWritesFit(
        written,
        Schema(1, {Field{1, "a", DataType::Int(), true}, Field{5, "r", DataType::Long(), true}}),
        "an append");
    ADD_FAILURE();
  } catch (const CommitConflict& e) {
    EXPECT_STREQ(e.what(),
                 "an append lacks required column 'r' (id 5) that a concurrent schema change "
                 "added");
  }
}

// A process has its append ready when another commits a schema change: the
// append commits, rebased, and reads under the new schema.
TEST_F(SchemaEvolutionTest, AppendOfAnotherProcessRebasesOverASchemaChange) {
  Table t = TwoRows();
  int ready[2], go[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(go), 0);
  const std::string path = t.location();
  const pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 1;
    try {
      Table mine = OpenTable(path);
      Transaction tx = mine.NewTransaction();
      tx.AppendData(IdValueRows(20, 3), IdValueSchema());
      char c = 'r';
      if (::write(ready[1], &c, 1) == 1 && ::read(go[0], &c, 1) == 1) rc = tx.Commit() ? 0 : 2;
    } catch (...) {
      rc = 3;
    }
    std::_Exit(rc);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  t.UpdateSchema(SchemaUpdate().RenameColumn("value", "label").AddColumn("extra", DataType::Int()));
  ASSERT_EQ(::write(go[1], &c, 1), 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  for (int fd : {ready[0], ready[1], go[0], go[1]}) ::close(fd);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"1,v1,null", "2,v2,null", "20,v20,null",
                                               "21,v21,null", "22,v22,null"}));
  EXPECT_EQ(NewScan(t).Filter("label >= 'v20'").Count(), 3);
  ExpectVerifies(t);
}

TEST_F(SchemaEvolutionTest, IngestLogIsFoldedFirstAndOlderSchemaRecordsFoldUnderTheNewOne) {
  Table t = CreateTable(dir_.Join("log"), IdValueSchema(), PartitionSpec(),
                        {{"datashard.ingest-log.enabled", "true"},
                         {"datashard.ingest-log.checkpoint-interval-ms", "3600000"}});
  t.AppendRecords(IdValueRows(1, 2), IdValueSchema());
  EXPECT_EQ(t.Stats().log_rows, 2);
  // A writer that has not seen the change yet.
  Transaction stale = t.NewTransaction();
  stale.AppendData(IdValueRows(5, 1), IdValueSchema());
  t.UpdateSchema(SchemaUpdate().AddColumn("score", DataType::Long()));
  const TableStats after = t.Stats();
  EXPECT_EQ(after.log_rows, 0);  // folded before the change
  EXPECT_EQ(after.records, 2);
  EXPECT_TRUE(stale.Commit());  // a log record of schema 0
  ASSERT_TRUE(stale.committed_log_lsn().has_value());
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"1,v1,null", "2,v2,null", "5,v5,null"}));
  const CheckpointResult folded = t.Checkpoint();
  EXPECT_EQ(folded.rows, 1);
  EXPECT_EQ(Rows(t), (std::vector<std::string>{"1,v1,null", "2,v2,null", "5,v5,null"}));
  ExpectVerifies(t);
}

}  // namespace
}  // namespace datashard

// The read-side CLI of DESIGN.md §11 run as a real process: scan with
// --columns/--where/--snapshot/--as-of/--format/--limit/--stats, count with
// --where/--snapshot, history and stats with and without --json, --help and
// the exit codes, on a table the CLI created and appended to.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "datashard/file_io.h"
#include "io/temp_dir.h"

namespace datashard {
namespace {

struct CliResult {
  int exit_code = -1;
  std::string out;
};

class ScanCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cli_ = DATASHARD_CLI_PATH;
    table_ = dir_.Join("t");
    ASSERT_EQ(Cli("create '" + table_ +
                  "' --schema '[{\"id\":1,\"name\":\"id\",\"type\":\"long\","
                  "\"required\":true},{\"id\":2,\"name\":\"name\",\"type\":\"string\"},"
                  "{\"id\":3,\"name\":\"day\",\"type\":\"date\"}]' --partition-by 'day'")
                  .exit_code,
              0);
  }

  // Runs the CLI with `args` through the shell; stdout only unless `merge`.
  CliResult Cli(const std::string& args, const std::string& stdin_text = "", bool merge = false) {
    const std::string input = dir_.Join("stdin" + std::to_string(++runs_));
    DefaultFileIO()->WriteFile(input, stdin_text);
    const std::string cmd =
        "'" + cli_ + "' " + args + " < '" + input + "'" + (merge ? " 2>&1" : " 2>/dev/null");
    FILE* p = popen(cmd.c_str(), "r");
    CliResult r;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  std::string Append(const std::string& rows) {
    CliResult r = Cli("append '" + table_ + "' -", rows);
    EXPECT_EQ(r.exit_code, 0);
    if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }

  TempDir dir_{"scan-cli"};
  std::string cli_;
  std::string table_;
  int runs_ = 0;
};

TEST_F(ScanCliTest, ScanAndCountWithFiltersAndTimeTravel) {
  const std::string first = Append(
      "{\"id\":1,\"name\":\"a\",\"day\":\"2024-03-01\"}\n{\"id\":2,\"name\":\"b\",\"day\":\"2024-"
      "03-02\"}\n");
  const std::string second = Append(
      "{\"id\":3,\"name\":\"it's\",\"day\":\"2024-03-02\"}\n{\"id\":4,\"name\":null,\"day\":\"2024-"
      "03-05\"}\n");

  EXPECT_EQ(Cli("count '" + table_ + "'").out, "4\n");
  EXPECT_EQ(Cli("count '" + table_ + "' --where \"day >= '2024-03-02' and name is not null\"").out,
            "2\n");
  EXPECT_EQ(Cli("count '" + table_ + "' --snapshot " + first).out, "2\n");
  EXPECT_EQ(Cli("count '" + table_ + "' --snapshot " + first + " --where 'id > 1'").out, "1\n");

  EXPECT_EQ(Cli("scan '" + table_ + "' --where \"name = 'it''s'\"").out,
            "{\"id\":3,\"name\":\"it's\",\"day\":\"2024-03-02\"}\n");
  EXPECT_EQ(Cli("scan '" + table_ + "' --columns day,id --where 'id in (1, 4)' --format csv").out,
            "day,id\n2024-03-05,4\n2024-03-01,1\n");
  EXPECT_EQ(Cli("scan '" + table_ + "' --columns id --snapshot " + first).out,
            "{\"id\":1}\n{\"id\":2}\n");
  EXPECT_EQ(Cli("scan '" + table_ + "' --columns id --limit 1 --where 'id >= 2'").out.size(),
            std::string("{\"id\":2}\n").size());
  EXPECT_EQ(Cli("scan '" + table_ + "' --columns id,name --where 'id = 4' --format table").out,
            "id | name\n---+-----\n4  | NULL\n");

  // --as-of: epoch ms and ISO-8601; far future = current, far past = none.
  EXPECT_EQ(Cli("count '" + table_ + "' --as-of 4102444800000").out, "4\n");
  EXPECT_EQ(Cli("count '" + table_ + "' --as-of 2100-01-01T00:00:00Z").out, "4\n");
  EXPECT_EQ(Cli("count '" + table_ + "' --as-of 1000").exit_code, 1);

  // --stats goes to stderr as one JSON object; stdout keeps only rows.
  const CliResult stats =
      Cli("scan '" + table_ + "' --where \"day = '2024-03-05'\" --stats", "", true);
  EXPECT_EQ(stats.exit_code, 0);
  EXPECT_NE(stats.out.find("{\"id\":4,\"name\":null,\"day\":\"2024-03-05\"}\n"), std::string::npos)
      << stats.out;
  EXPECT_NE(stats.out.find("\"rows_returned\":1"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("\"manifests_pruned\":1"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("\"data_files_pruned\":1"), std::string::npos) << stats.out;
  (void)second;

  // Errors: a filter on a missing column, a wrong-typed literal, bad syntax.
  const CliResult missing = Cli("scan '" + table_ + "' --where 'nope = 1'", "", true);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find("nope"), std::string::npos) << missing.out;
  const CliResult typed = Cli("count '" + table_ + "' --where \"id = 'abc'\"", "", true);
  EXPECT_EQ(typed.exit_code, 2);
  EXPECT_NE(typed.out.find("abc"), std::string::npos) << typed.out;
}

// DESIGN.md §11: `scan --format jsonl` prints exactly what `append` accepts,
// in one canonical form per type; csv and table print the same texts.
TEST_F(ScanCliTest, JsonLinesOfEveryTypeRoundTripThroughAppend) {
  const std::string schema =
      "'[{\"id\":1,\"name\":\"b\",\"type\":\"boolean\"},{\"id\":2,\"name\":\"i\",\"type\":\"int\"},"
      "{\"id\":3,\"name\":\"l\",\"type\":\"long\",\"required\":true},{\"id\":4,\"name\":\"f\","
      "\"type\":"
      "\"float\"},{\"id\":5,\"name\":\"d\",\"type\":\"double\"},{\"id\":6,\"name\":\"dec\","
      "\"type\":"
      "\"decimal(18, 3)\"},{\"id\":7,\"name\":\"day\",\"type\":\"date\"},{\"id\":8,\"name\":\"t\","
      "\"type\":\"time\"},{\"id\":9,\"name\":\"ts\",\"type\":\"timestamp\"},{\"id\":10,\"name\":"
      "\"tz\","
      "\"type\":\"timestamptz\"},{\"id\":11,\"name\":\"s\",\"type\":\"string\"},{\"id\":12,"
      "\"name\":"
      "\"u\",\"type\":\"uuid\"},{\"id\":13,\"name\":\"fx\",\"type\":\"fixed[3]\"},{\"id\":14,"
      "\"name\":"
      "\"bin\",\"type\":\"binary\"}]'";
  const std::string a = "'" + dir_.Join("types_a") + "'";
  const std::string b = "'" + dir_.Join("types_b") + "'";
  ASSERT_EQ(Cli("create " + a + " --schema " + schema).exit_code, 0);
  ASSERT_EQ(Cli("create " + b + " --schema " + schema).exit_code, 0);
  // Input in looser forms than the canonical ones: a decimal without its
  // scale, a time without fraction, a timestamptz at another offset.
  const std::string input =
      "{\"b\":true,\"i\":-2147483648,\"l\":-9223372036854775808,\"f\":1.5,\"d\":-0.1,\"dec\":\"-"
      "123.456\","
      "\"day\":\"2024-02-29\",\"t\":\"23:59:59.999999\",\"ts\":\"2024-01-31T12:00:00.000001\","
      "\"tz\":"
      "\"2024-01-31T12:00:00.000001+00:00\",\"s\":\"h\\u00e9 \\\"q\\\"\\n\",\"u\":"
      "\"f79c3e09-677c-4bbd-a479-3f349cb785e7\",\"fx\":\"AP8B\",\"bin\":\"\"}\n"
      "{\"l\":2}\n"
      "{\"b\":false,\"i\":7,\"l\":3,\"f\":\"-Infinity\",\"d\":\"NaN\",\"dec\":\"0.5\",\"day\":"
      "\"1970-01-01\","
      "\"t\":\"00:00:00\",\"ts\":\"1969-12-31T23:59:59.999999\",\"tz\":\"2024-03-01T01:30:00+02:"
      "00\","
      "\"s\":\"\",\"u\":\"00000000-0000-0000-0000-000000000000\",\"fx\":\"AAAA\",\"bin\":\"aGVsbG8="
      "\"}\n";
  ASSERT_EQ(Cli("append " + a + " -", input).exit_code, 0);
  const std::string canonical =
      "{\"b\":true,\"i\":-2147483648,\"l\":-9223372036854775808,\"f\":1.5,\"d\":-0.1,\"dec\":\"-"
      "123.456\","
      "\"day\":\"2024-02-29\",\"t\":\"23:59:59.999999\",\"ts\":\"2024-01-31T12:00:00.000001\","
      "\"tz\":"
      "\"2024-01-31T12:00:00.000001+00:00\",\"s\":\"h\xC3\xA9 \\\"q\\\"\\n\",\"u\":"
      "\"f79c3e09-677c-4bbd-a479-3f349cb785e7\",\"fx\":\"AP8B\",\"bin\":\"\"}\n"
      "{\"b\":null,\"i\":null,\"l\":2,\"f\":null,\"d\":null,\"dec\":null,\"day\":null,\"t\":null,"
      "\"ts\":null,"
      "\"tz\":null,\"s\":null,\"u\":null,\"fx\":null,\"bin\":null}\n"
      "{\"b\":false,\"i\":7,\"l\":3,\"f\":\"-Infinity\",\"d\":\"NaN\",\"dec\":\"0.500\",\"day\":"
      "\"1970-01-01\","
      "\"t\":\"00:00:00.000000\",\"ts\":\"1969-12-31T23:59:59.999999\",\"tz\":"
      "\"2024-02-29T23:30:00.000000+00:00\",\"s\":\"\",\"u\":\"00000000-0000-0000-0000-"
      "000000000000\","
      "\"fx\":\"AAAA\",\"bin\":\"aGVsbG8=\"}\n";
  const CliResult scanned = Cli("scan " + a);
  ASSERT_EQ(scanned.exit_code, 0);
  EXPECT_EQ(scanned.out, canonical);
  ASSERT_EQ(Cli("append " + b + " -", scanned.out).exit_code, 0);
  EXPECT_EQ(Cli("scan " + b).out, canonical);

  EXPECT_EQ(Cli("scan " + a + " --columns l,s,dec,d,bin --format csv").out,
            "l,s,dec,d,bin\n"
            "-9223372036854775808,\"h\xC3\xA9 \"\"q\"\"\n\",-123.456,-0.1,\n"
            "2,,,,\n"
            "3,,0.500,NaN,aGVsbG8=\n");
  // One line a row: control characters escaped, columns aligned by
  // characters (é is one), no blanks after the last column.
  EXPECT_EQ(Cli("scan " + a + " --columns s,l,f --format table").out,
            "s        | l                    | f\n"
            "---------+----------------------+----------\n"
            "h\xC3\xA9 \"q\"\\n | -9223372036854775808 | 1.5\n"
            "NULL     | 2                    | NULL\n"
            "         | 3                    | -Infinity\n");
}

TEST_F(ScanCliTest, HelpListsTheFlagsOfTheContract) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> commands = {
      {"scan", {"TABLE", "--columns", "--where", "--snapshot", "--as-of", "--format", "--limit"}},
      {"count", {"TABLE", "--where", "--snapshot"}},
      {"history", {"TABLE", "--json"}},
      {"stats", {"TABLE", "--json"}}};
  for (const auto& [command, flags] : commands) {
    const CliResult help = Cli(command + " --help");
    EXPECT_EQ(help.exit_code, 0) << command;
    for (const std::string& flag : flags) {
      EXPECT_NE(help.out.find(flag), std::string::npos) << command << " --help lacks " << flag;
    }
  }
}

TEST_F(ScanCliTest, EmptyTable) {
  EXPECT_EQ(Cli("scan '" + table_ + "'").out, "");
  EXPECT_EQ(Cli("scan '" + table_ + "'").exit_code, 0);
  EXPECT_EQ(Cli("scan '" + table_ + "' --format csv").out, "id,name,day\n");
  EXPECT_EQ(Cli("scan '" + table_ + "' --format table --where 'id > 1'").out,
            "id | name | day\n---+------+----\n");
  EXPECT_EQ(Cli("count '" + table_ + "'").out, "0\n");
  EXPECT_EQ(Cli("history '" + table_ + "'").out, "");
  EXPECT_EQ(Cli("history '" + table_ + "' --json").out, "[]\n");
  const nlohmann::json stats = nlohmann::json::parse(Cli("stats '" + table_ + "' --json").out);
  EXPECT_EQ(stats["commits"], 0);
  EXPECT_EQ(stats["files"], 0);
  EXPECT_EQ(stats["rows"], 0);
  EXPECT_EQ(stats["snapshots"], 0);
  EXPECT_TRUE(stats["current_snapshot_id"].is_null());
}

TEST_F(ScanCliTest, HistoryAndStats) {
  const std::string first = Append(
      "{\"id\":1,\"name\":\"a\",\"day\":\"2024-03-01\"}\n{\"id\":2,\"name\":\"b\",\"day\":\"2024-"
      "03-02\"}\n");
  const std::string second = Append("{\"id\":3,\"name\":\"c\",\"day\":\"2024-03-02\"}\n");

  // --json: oldest first, exactly the documented keys.
  const CliResult json = Cli("history '" + table_ + "' --json");
  EXPECT_EQ(json.exit_code, 0);
  const nlohmann::json history = nlohmann::json::parse(json.out);
  ASSERT_TRUE(history.is_array());
  ASSERT_EQ(history.size(), 2u);
  for (const nlohmann::json& h : history) {
    std::set<std::string> keys;
    for (const auto& [key, value] : h.items()) keys.insert(key);
    EXPECT_EQ(keys, (std::set<std::string>{"snapshot_id", "parent_snapshot_id", "timestamp_ms",
                                           "sequence_number", "operation", "summary"}));
    EXPECT_EQ(h["operation"], "append");
    EXPECT_GT(h["timestamp_ms"].get<int64_t>(), 0);
  }
  EXPECT_EQ(std::to_string(history[0]["snapshot_id"].get<int64_t>()), first);
  EXPECT_TRUE(history[0]["parent_snapshot_id"].is_null());
  // Commit order, which snapshot ids (random) do not give: the crash loop's
  // history checker orders plain appends by it.
  EXPECT_EQ(history[0]["sequence_number"], 1);
  EXPECT_EQ(history[1]["sequence_number"], 2);
  EXPECT_EQ(std::to_string(history[1]["snapshot_id"].get<int64_t>()), second);
  EXPECT_EQ(std::to_string(history[1]["parent_snapshot_id"].get<int64_t>()), first);
  EXPECT_EQ(history[0]["summary"]["added-records"], "2");
  EXPECT_EQ(history[1]["summary"]["added-records"], "1");
  EXPECT_EQ(history[1]["summary"]["total-records"], "3");

  // Text: one line a snapshot, oldest first.
  const std::string text = Cli("history '" + table_ + "'").out;
  const size_t newline = text.find('\n');
  ASSERT_NE(newline, std::string::npos) << text;
  const std::string line1 = text.substr(0, newline + 1);
  const std::string line2 = text.substr(newline + 1);
  EXPECT_EQ(line1.rfind(first + "\tparent=none\t", 0), 0u) << line1;
  EXPECT_NE(line1.find("\tappend\tadded-records=2\ttotal-records=2\n"), std::string::npos) << line1;
  EXPECT_EQ(line2.rfind(second + "\tparent=" + first + "\t", 0), 0u) << line2;
  EXPECT_NE(line2.find("\tappend\tadded-records=1\ttotal-records=3\n"), std::string::npos) << line2;
  EXPECT_EQ(line2.find('\n'), line2.size() - 1) << line2;

  // stats --json: the contract's keys with this table's numbers (one data
  // file per day partition a commit wrote to: 2 + 1).
  const nlohmann::json stats = nlohmann::json::parse(Cli("stats '" + table_ + "' --json").out);
  EXPECT_EQ(stats["commits"], 2);
  EXPECT_EQ(stats["retries"], 0);
  EXPECT_EQ(stats["conflicts"], 0);
  EXPECT_EQ(stats["files"], 3);
  EXPECT_EQ(stats["rows"], 3);
  EXPECT_GT(stats["bytes"].get<int64_t>(), 0);
  EXPECT_EQ(stats["snapshots"], 2);
  EXPECT_EQ(std::to_string(stats["current_snapshot_id"].get<int64_t>()), second);
  const std::string stats_text = Cli("stats '" + table_ + "'").out;
  EXPECT_EQ(stats_text.rfind("commits: 2\nretries: 0\nconflicts: 0\nfiles: 3\nrows: 3\nbytes: ", 0),
            0u)
      << stats_text;
}

TEST_F(ScanCliTest, ExitCodesAndErrorsOnStderr) {
  const std::string first = Append("{\"id\":1,\"name\":\"a\",\"day\":\"2024-03-01\"}\n");
  const std::string t = "'" + table_ + "'";
  const std::string missing = "'" + dir_.Join("missing") + "'";

  // Failures (1): no table, no such snapshot. Errors go to stderr only.
  for (const char* command : {"scan", "count", "history", "stats"}) {
    const CliResult r = Cli(std::string(command) + " " + missing);
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_EQ(r.out, "") << command;
    const CliResult merged = Cli(std::string(command) + " " + missing, "", true);
    EXPECT_NE(merged.out.find("missing"), std::string::npos) << merged.out;
  }
  EXPECT_EQ(Cli("scan " + t + " --snapshot 0").exit_code, 1);
  EXPECT_EQ(Cli("count " + t + " --snapshot 12345").exit_code, 1);
  EXPECT_EQ(Cli("count " + t + " --snapshot " + first).out, "1\n");

  // Usage errors (2): bad flags and values, bad filters; nothing on stdout.
  const std::vector<std::string> usage = {
      "scan",
      "scan " + t + " --bogus",
      "scan " + t + " --format xml",
      "scan " + t + " --limit -1",
      "scan " + t + " --limit many",
      "scan " + t + " --snapshot abc",
      "scan " + t + " --snapshot " + first + " --as-of 4102444800000",
      "scan " + t + " --as-of yesterday",
      "scan " + t + " --columns id,,name",
      "scan " + t + " --columns nope",
      "scan " + t + " --where 'id >'",
      "count " + t + " --where \"day = 'soon'\"",
      "history " + t + " --json extra",
  };
  for (const std::string& args : usage) {
    const CliResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(r.out, "") << args;
  }
  const CliResult format = Cli("scan " + t + " --format xml", "", true);
  EXPECT_NE(format.out.find("'xml'"), std::string::npos) << format.out;
  const CliResult literal = Cli("count " + t + " --where \"day = 'soon'\"", "", true);
  EXPECT_NE(literal.out.find("'day'"), std::string::npos) << literal.out;
  EXPECT_NE(literal.out.find("soon"), std::string::npos) << literal.out;

  // --limit 0 prints no rows; CSV quotes what needs quoting.
  EXPECT_EQ(Cli("scan " + t + " --limit 0").out, "");
  Append("{\"id\":2,\"name\":\"x,\\\"y\\\"\",\"day\":null}\n");
  EXPECT_EQ(Cli("scan " + t + " --where 'id = 2' --format csv").out,
            "id,name,day\n2,\"x,\"\"y\"\"\",\n");
}

}  // namespace
}  // namespace datashard

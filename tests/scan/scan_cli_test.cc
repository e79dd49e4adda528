// The read-side CLI of DESIGN.md §11 run as a real process: scan with
// --columns/--where/--snapshot/--as-of/--format/--limit/--stats and count
// with --where/--snapshot, on a table the CLI created and appended to.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace datashard

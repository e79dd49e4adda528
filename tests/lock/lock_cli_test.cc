// `datashard lock ...` as scripts use it: output, exit codes (DESIGN.md §11).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "io/temp_dir.h"
#include "lock_test_backends.h"

namespace datashard::lock_test {
namespace {

struct CliRun {
  int exit_code;
  std::string out;  // stdout only
};

class LockCliTest : public testing::Test {
 protected:
  void SetUp() override {
    // ctest may pass the CLI's path in the environment; the build bakes it in too.
    const char* cli = std::getenv("DATASHARD_CLI");
    cli_ = cli != nullptr && *cli != '\0' ? cli : DATASHARD_CLI_PATH;
  }

  CliRun Cli(const std::string& args) {
    const std::string cmd =
        "'" + cli_ + "' lock " + args + " --backend '" + backend_.url() + "' 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  }

  // Runs `datashard lock ARGS` without --backend, in folder `cwd`, with the
  // environment prefix `env` (e.g. "XDG_STATE_HOME=/x"); stdout and stderr.
  CliRun CliAt(const std::string& cwd, const std::string& env, const std::string& args) {
    const std::string cmd = "cd '" + cwd + "' && env -u DATASHARD_LOCKS -u XDG_STATE_HOME " + env +
                            " '" + cli_ + "' lock " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  }

  std::string cli_;
  TestBackend backend_{"sqlite"};
};

TEST_F(LockCliTest, AcquirePrintsTheLeaseAndExitsFourWhenHeld) {
  CliRun first = Cli("acquire flight/123 --owner alice --ttl 30s");
  EXPECT_EQ(first.exit_code, 0);
  EXPECT_EQ(first.out.rfind("resource=flight/123 owner=alice mode=exclusive fencing_token=1 "
                            "expires=",
                            0),
            0u)
      << first.out;
  EXPECT_EQ(Cli("acquire flight/123/seat/4A --owner bob").exit_code, 4);
  EXPECT_EQ(Cli("acquire flight/123/seat/4A --owner bob --wait 50ms").exit_code, 4);
  CliRun shared = Cli("acquire flight/124 --owner bob --shared");
  EXPECT_EQ(shared.exit_code, 0);
  EXPECT_NE(shared.out.find(" mode=shared fencing_token=2 "), std::string::npos) << shared.out;
}

TEST_F(LockCliTest, ListJsonShowsEveryLease) {
  ASSERT_EQ(Cli("acquire a/1 --owner alice --ttl 1h").exit_code, 0);
  ASSERT_EQ(Cli("acquire b --owner bob --shared").exit_code, 0);
  CliRun list = Cli("list --json");
  ASSERT_EQ(list.exit_code, 0);
  const auto json = nlohmann::json::parse(list.out);
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["resource"], "a/1");
  EXPECT_EQ(json[0]["owner"], "alice");
  EXPECT_EQ(json[0]["mode"], "exclusive");
  EXPECT_EQ(json[0]["fencing_token"], 1);
  EXPECT_EQ(json[1]["resource"], "b");
  EXPECT_EQ(json[1]["mode"], "shared");
  EXPECT_GT(json[0]["expiry_ms"].get<int64_t>(), json[1]["expiry_ms"].get<int64_t>());
  CliRun text = Cli("list");
  EXPECT_EQ(text.out.rfind("a/1\talice\texclusive\t1\t", 0), 0u) << text.out;
}

TEST_F(LockCliTest, ReleaseOnlyByTheOwner) {
  ASSERT_EQ(Cli("acquire x --owner alice").exit_code, 0);
  EXPECT_EQ(Cli("release x --owner bob").exit_code, 1);
  EXPECT_EQ(Cli("acquire x --owner bob").exit_code, 4);
  EXPECT_EQ(Cli("release x --owner alice").exit_code, 0);
  EXPECT_EQ(Cli("acquire x --owner bob").exit_code, 0);
  ASSERT_EQ(Cli("acquire y --owner bob").exit_code, 0);
  CliRun all = Cli("release-all --owner bob");
  EXPECT_EQ(all.exit_code, 0);
  EXPECT_EQ(all.out, "2\n");
  EXPECT_EQ(Cli("list --json").out, "[]\n");
}

TEST_F(LockCliTest, BadArgumentsAreUsageErrors) {
  EXPECT_EQ(Cli("acquire x --owner a --ttl 5x").exit_code, 2);
  EXPECT_EQ(Cli("acquire x --owner a --wait 10").exit_code, 2);
  EXPECT_EQ(Cli("acquire x").exit_code, 2);
  EXPECT_EQ(Cli("acquire a//b --owner a").exit_code, 2);
  EXPECT_EQ(Cli("list --json").out, "[]\n");
}

// Issue 12 item 14: the default lock database is one per user, not one per
// working folder: $DATASHARD_LOCKS, else $XDG_STATE_HOME/datashard/locks.db,
// else ~/.local/state/datashard/locks.db; --help names it.
TEST_F(LockCliTest, DefaultBackendIsTheSameDatabaseFromEveryFolder) {
  TempDir home("datashard-lock-home");
  const std::string one = home.Join("one"), two = home.Join("two");
  ASSERT_EQ(std::system(("mkdir -p '" + one + "' '" + two + "'").c_str()), 0);
  const std::string env = "HOME='" + home.path() + "'";
  EXPECT_EQ(CliAt(one, env, "acquire flight/1 --owner alice").exit_code, 0);
  EXPECT_EQ(CliAt(two, env, "acquire flight/1 --owner bob").exit_code, 4);
  EXPECT_EQ(std::system(("test -f '" + home.Join(".local/state/datashard/locks.db") + "'").c_str()),
            0);
  CliRun help = CliAt(one, env, "acquire --help");
  EXPECT_NE(help.out.find("DATASHARD_LOCKS"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find(home.Join(".local/state/datashard/locks.db")), std::string::npos)
      << help.out;

  const std::string xdg = "XDG_STATE_HOME='" + home.Join("xdg") + "' " + env;
  EXPECT_EQ(CliAt(one, xdg, "acquire flight/1 --owner bob").exit_code, 0);
  EXPECT_EQ(CliAt(two, xdg, "acquire flight/1 --owner carol").exit_code, 4);
  EXPECT_EQ(std::system(("test -f '" + home.Join("xdg/datashard/locks.db") + "'").c_str()), 0);

  const std::string explicit_db =
      "DATASHARD_LOCKS='sqlite:" + home.Join("explicit.db") + "' " + xdg;
  EXPECT_EQ(CliAt(one, explicit_db, "acquire flight/1 --owner carol").exit_code, 0);
  EXPECT_EQ(CliAt(two, explicit_db, "acquire flight/1 --owner dave").exit_code, 4);
  CliRun listed = CliAt(two, explicit_db, "list --json");
  EXPECT_NE(listed.out.find("carol"), std::string::npos) << listed.out;
}

}  // namespace
}  // namespace datashard::lock_test

// The SQL catalog beyond what the parameterised table suites check: the
// catalog tables are PyIceberg's, namespaces and tables are listed, renamed
// and dropped, metadata files are named as catalogs name them, fencing
// tokens ride on the compare-and-swap, and a swap whose connection is lost
// after sending (cut by a TCP proxy between the client and PostgreSQL) is
// resolved by the row and the commit id, never retried blindly; a
// connection the server ended while it was idle is replaced at the next read.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "catalog/metadata_file.h"
#include "datashard/catalog.h"
#include "datashard/errors.h"
#include "io/temp_dir.h"
#include "sql/postgres_connection.h"
#include "table/table_catalogs.h"
#include "table/table_test_util.h"

namespace datashard {
namespace {

using testing::IdValueRows;
using testing::IdValueSchema;
using testing::SortedIds;

class SqlCatalogTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string Path(const std::string& name) { return dir_.Join(name); }
  Catalog& catalog() { return catalogs_.catalog(); }
  std::string Id(const std::string& name) { return catalogs_.Identifier(Path(name)); }
  std::string Ns() {
    const std::string id = Id("x");
    return id.substr(0, id.rfind('.'));
  }
  TempDir dir_;
  testing::TableCatalogs catalogs_{GetParam(), dir_};
};

TEST_P(SqlCatalogTest, NamespacesAreListedRenamedAndDropped) {
  const std::string ns = Ns();
  EXPECT_FALSE(catalog().NamespaceExists(ns));
  catalog().CreateNamespace(ns + ".empty", {{"owner", "ops"}});
  EXPECT_THROW(catalog().CreateNamespace(ns + ".empty"), AlreadyExists);
  catalog().CreateTable(Id("a"), Path("a"), IdValueSchema());
  catalog().CreateTable(ns + ".sub.b", Path("b"), IdValueSchema());
  EXPECT_TRUE(catalog().NamespaceExists(ns));
  EXPECT_EQ(catalog().ListNamespaces(ns), (std::vector<std::string>{ns + ".empty", ns + ".sub"}));
  EXPECT_EQ(catalog().ListTables(ns), (std::vector<std::string>{ns + ".a"}));
  EXPECT_EQ(catalog().NamespaceProperties(ns + ".empty"),
            (std::map<std::string, std::string>{{"owner", "ops"}}));
  EXPECT_THROW(catalog().DropNamespace(ns + ".sub"), InvalidArgument);  // holds b
  EXPECT_THROW(catalog().DropNamespace(ns + ".missing"), NotFound);
  catalog().DropNamespace(ns + ".empty");
  EXPECT_FALSE(catalog().NamespaceExists(ns + ".empty"));

  catalog().RenameNamespace(ns, ns + "x");
  EXPECT_FALSE(catalog().NamespaceExists(ns));
  EXPECT_EQ(catalog().ListTables(ns + "x.sub"), (std::vector<std::string>{ns + "x.sub.b"}));
  Table renamed = catalog().LoadTable(ns + "x.a");
  EXPECT_EQ(SortedIds(renamed).size(), 0u);
  EXPECT_THROW(catalog().LoadTable(ns + ".a"), NotFound);
}

TEST_P(SqlCatalogTest, TablesAreRenamedAndDroppedWithTheirFilesKept) {
  Table t = catalog().CreateTable(Id("a"), Path("a"), IdValueSchema());
  t.AppendRecords(IdValueRows(0, 2), IdValueSchema());
  catalog().CreateTable(Id("taken"), Path("taken"), IdValueSchema());
  EXPECT_THROW(catalog().RenameTable(Id("a"), Id("taken")), AlreadyExists);
  EXPECT_THROW(catalog().RenameTable(Id("a"), "nowhere" + Ns() + ".a"), NotFound);
  catalog().RenameTable(Id("a"), Id("b"));
  EXPECT_FALSE(catalog().TableExists(Id("a")));
  Table b = catalog().LoadTable(Id("b"));
  EXPECT_EQ(b.location(), Path("a"));  // the files stay in the folder
  EXPECT_EQ(SortedIds(b), (std::vector<int64_t>{0, 1}));
  // A handle of the old name cannot commit: its row is gone.
  EXPECT_THROW(t.AppendRecords(IdValueRows(2, 1), IdValueSchema()), NotFound);
  catalog().DropTable(Id("b"));
  EXPECT_THROW(catalog().DropTable(Id("b")), NotFound);
  EXPECT_THROW(catalog().LoadTable(Id("b")), NotFound);
  EXPECT_TRUE(DefaultFileIO()->Exists(Path("a") + "/metadata"));
  // A folder holding a table of another catalog is refused.
  CreateTable(Path("plain"), IdValueSchema());
  EXPECT_THROW(catalog().CreateTable(Id("plain"), Path("plain"), IdValueSchema()), AlreadyExists);
  EXPECT_THROW(catalog().CreateTable("nonamespace", Path("n"), IdValueSchema()), InvalidArgument);
  // The same identifier at another folder is another table.
  EXPECT_THROW(catalog().CreateTable(Id("taken"), Path("elsewhere"), IdValueSchema()),
               AlreadyExists);
}

TEST_P(SqlCatalogTest, CommitsSwapTheRowToCatalogNamedMetadataFiles) {
  Table t = catalog().CreateTable(Id("a"), Path("a"), IdValueSchema());
  EXPECT_TRUE(t.metadata().metadata_log.empty());
  t.AppendRecords(IdValueRows(0, 1), IdValueSchema());
  t.AppendRecords(IdValueRows(1, 1), IdValueSchema());
  EXPECT_EQ(t.metadata_version(), 2);
  std::vector<std::string> names;
  for (const FileInfo& f : DefaultFileIO()->List(Path("a") + "/metadata")) {
    if (IsMetadataFileName(f.name)) names.push_back(f.name);
  }
  ASSERT_EQ(names.size(), 3u);
  for (const std::string& n : names) {
    EXPECT_TRUE(CatalogMetadataSequence(n).has_value()) << n;
    EXPECT_EQ(n.size(), std::string("00000-").size() + 36 + std::string(".metadata.json").size());
  }
  // The metadata log names the previous files, as the row's previous location does.
  const TableMetadata m = t.metadata();
  ASSERT_EQ(m.metadata_log.size(), 2u);
  EXPECT_EQ(MetadataFileVersion(m.metadata_log[1].metadata_file.substr(
                m.metadata_log[1].metadata_file.rfind('/') + 1)),
            1);
}

TEST_P(SqlCatalogTest, FencingTokensAreCheckedWithTheSwap) {
  Table t = catalog().CreateTable(Id("a"), Path("a"), IdValueSchema());
  Table other = catalog().LoadTable(Id("a"));
  TransactionOptions old_holder;
  old_holder.fencing_tokens["flight/1"] = 5;
  Transaction stale = other.NewTransaction(old_holder);  // based on the empty table
  stale.AppendData(IdValueRows(0, 1), IdValueSchema());
  TransactionOptions new_holder;
  new_holder.fencing_tokens["flight/1"] = 6;
  Transaction fresh = t.NewTransaction(new_holder);
  fresh.AppendData(IdValueRows(1, 1), IdValueSchema());
  EXPECT_TRUE(fresh.Commit());
  // Its swap from the empty table's metadata loses; the rebase meets token 6.
  EXPECT_THROW(stale.Commit(), StaleFencingToken);
  Table reloaded = catalog().LoadTable(Id("a"));
  EXPECT_EQ(SortedIds(reloaded), (std::vector<int64_t>{1}));
}

INSTANTIATE_TEST_SUITE_P(Catalogs, SqlCatalogTest, ::testing::Values("sqlite", "postgresql"),
                         testing::CatalogName);

// PyIceberg's SqlCatalog (SQLAlchemy's DDL for its models) opens the database:
// same tables, columns, types, nullability and primary keys.
TEST(SqlCatalogSchemaTest, SqliteTablesAreThoseOfPyIcebergsSqlCatalog) {
  TempDir dir;
  const std::string db = dir.Join("catalog.db");
  Catalog::Open("sqlite:" + db);
  sqlite3* conn = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &conn), SQLITE_OK);
  std::string described;
  for (const char* table : {"iceberg_tables", "iceberg_namespace_properties"}) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(conn, ("PRAGMA table_info(" + std::string(table) + ")").c_str(),
                                 -1, &stmt, nullptr),
              SQLITE_OK);
    described += std::string(table) + ":";
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      described +=
          std::string(" ") + reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)) + " " +
          reinterpret_cast<const char*>(sqlite3_column_text(stmt, 2)) +
          (sqlite3_column_int(stmt, 3) ? " NOT NULL" : "") +
          (sqlite3_column_int(stmt, 5) ? " pk" + std::to_string(sqlite3_column_int(stmt, 5)) : "") +
          ",";
    }
    sqlite3_finalize(stmt);
    described += "\n";
  }
  sqlite3_close(conn);
  EXPECT_EQ(described,
            "iceberg_tables: catalog_name VARCHAR(255) NOT NULL pk1, table_namespace VARCHAR(255) "
            "NOT NULL pk2, table_name VARCHAR(255) NOT NULL pk3, metadata_location VARCHAR(1000), "
            "previous_metadata_location VARCHAR(1000),\n"
            "iceberg_namespace_properties: catalog_name VARCHAR(255) NOT NULL pk1, namespace "
            "VARCHAR(255) NOT NULL pk2, property_key VARCHAR(255) NOT NULL pk3, property_value "
            "VARCHAR(1000) NOT NULL,\n");
}

// A TCP proxy to the PostgreSQL server that cuts the first connection that
// sends the metadata swap: after forwarding it (the server commits it, the
// client never hears) or instead of forwarding it. Until released, it then
// accepts no new connection, so the client cannot look again yet.
class CuttingProxy {
 public:
  enum class Mode { kForwardThenCut, kDropAndCut };

  CuttingProxy(const std::string& host, int port, Mode mode) : mode_(mode) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    upstream_.sin_family = AF_INET;
    upstream_.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &upstream_.sin_addr);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~CuttingProxy() {
    stop_ = true;
    Release();
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    for (std::thread& t : relays_) t.join();
  }
  int port() const { return port_; }
  void WaitForCut() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return cut_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  void Accept() {
    for (;;) {
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0 || stop_) {
        if (client >= 0) ::close(client);
        return;
      }
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !cut_ || released_; });
      }
      const int server = ::socket(AF_INET, SOCK_STREAM, 0);
      ::connect(server, reinterpret_cast<sockaddr*>(&upstream_), sizeof upstream_);
      relays_.emplace_back([this, client, server] { Relay(client, server); });
    }
  }

  void Relay(int client, int server) {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    char buf[65536];
    for (;;) {
      if (::poll(fds, 2, 200) < 0 || stop_) break;
      if (fds[0].revents) {
        const ssize_t n = ::read(client, buf, sizeof buf);
        if (n <= 0) break;
        const bool swap =
            std::string(buf, static_cast<size_t>(n)).find("UPDATE iceberg_tables SET metadata") !=
            std::string::npos;
        if (swap && !fired_.exchange(true)) {
          if (mode_ == Mode::kForwardThenCut) {
            (void)!::write(server, buf, static_cast<size_t>(n));
            // Long enough for the server to run and commit the swap.
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
          }
          std::lock_guard<std::mutex> lock(mu_);
          cut_ = true;
          cv_.notify_all();
          break;
        }
        if (::write(server, buf, static_cast<size_t>(n)) != n) break;
      }
      if (fds[1].revents) {
        const ssize_t n = ::read(server, buf, sizeof buf);
        if (n <= 0 || ::write(client, buf, static_cast<size_t>(n)) != n) break;
      }
    }
    ::shutdown(client, SHUT_RDWR);
    ::shutdown(server, SHUT_RDWR);
    ::close(client);
    ::close(server);
  }

  const Mode mode_;
  int listener_ = -1;
  int port_ = 0;
  sockaddr_in upstream_{};
  std::thread acceptor_;
  std::vector<std::thread> relays_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> fired_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool cut_ = false;
  bool released_ = false;
};

class LostSwapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("DATASHARD_TEST_POSTGRES_URL");
    ASSERT_TRUE(url != nullptr && *url != '\0')
        << "DATASHARD_TEST_POSTGRES_URL is not set: run `source scripts/services.sh && "
           "datashard_services_start` first";
    url_ = url;
    // postgresql://user@HOST:PORT/db
    const size_t at = url_.find('@') + 1;
    const size_t colon = url_.find(':', at);
    const size_t slash = url_.find('/', colon);
    host_ = url_.substr(at, colon - at);
    port_ = std::stoi(url_.substr(colon + 1, slash - colon - 1));
  }
  std::string Through(const CuttingProxy& proxy) const {
    return url_.substr(0, url_.find(':', url_.find('@'))) + ":" + std::to_string(proxy.port()) +
           url_.substr(url_.find('/', url_.find('@')));
  }
  std::string Id(const std::string& name) { return ns_ + "." + name; }
  // Commits rows 0..2 through a proxy that cuts the swap in `mode` and lets
  // the client reconnect at once; checks that the table holds them once,
  // and returns the commit's retries.
  int CommitThroughCut(CuttingProxy::Mode mode) {
    CuttingProxy proxy(host_, port_, mode);
    Catalog::Open(url_).CreateTable(Id("t"), dir_.Join("t"), IdValueSchema());
    Table t = Catalog::Open(Through(proxy)).LoadTable(Id("t"));
    proxy.Release();
    Transaction tx = t.NewTransaction();
    tx.AppendData(IdValueRows(0, 3), IdValueSchema());
    EXPECT_TRUE(tx.Commit());
    Table direct = Catalog::Open(url_).LoadTable(Id("t"));
    EXPECT_EQ(SortedIds(direct), (std::vector<int64_t>{0, 1, 2}));
    EXPECT_EQ(direct.History().size(), 1u);
    return tx.retries();
  }

  TempDir dir_;
  std::string url_, host_;
  int port_ = 0;
  std::string ns_ = "lost" + std::to_string(std::random_device{}());
};

TEST_F(LostSwapTest, ASwapThatHappenedIsAcknowledgedOnce) {
  EXPECT_EQ(CommitThroughCut(CuttingProxy::Mode::kForwardThenCut), 0);
}

TEST_F(LostSwapTest, ASwapThatDidNotHappenIsRetried) {
  EXPECT_EQ(CommitThroughCut(CuttingProxy::Mode::kDropAndCut), 1);
  // The metadata file of the swap that did not happen is gone.
  int64_t files = 0;
  for (const FileInfo& f : DefaultFileIO()->List(dir_.Join("t") + "/metadata"))
    files += IsMetadataFileName(f.name) ? 1 : 0;
  EXPECT_EQ(files, 2);
}

// Another writer commits on top of the lost swap before its writer can
// look again: the row names the other's metadata, whose history carries
// this commit's id, so it is acknowledged, not retried into a duplicate.
TEST_F(LostSwapTest, ASwapBuiltUponBeforeTheLookIsFoundByItsCommitId) {
  CuttingProxy proxy(host_, port_, CuttingProxy::Mode::kForwardThenCut);
  // Without the commit lock, which the stalled writer holds.
  Catalog::Open(url_).CreateTable(Id("t"), dir_.Join("t"), IdValueSchema(), PartitionSpec(),
                                  {{table_properties::kCommitLockEnabled, "false"}});
  Table t = Catalog::Open(Through(proxy)).LoadTable(Id("t"));
  Transaction tx = t.NewTransaction();
  tx.AppendData(IdValueRows(0, 3), IdValueSchema());
  bool committed = false;
  int retries = -1;
  std::thread writer([&] {
    committed = tx.Commit();
    retries = tx.retries();
  });
  proxy.WaitForCut();
  Table other = Catalog::Open(url_).LoadTable(Id("t"));
  other.AppendRecords(IdValueRows(10, 1), IdValueSchema());
  proxy.Release();
  writer.join();
  EXPECT_TRUE(committed);
  EXPECT_EQ(retries, 0);
  Table direct = Catalog::Open(url_).LoadTable(Id("t"));
  EXPECT_EQ(SortedIds(direct), (std::vector<int64_t>{0, 1, 2, 10}));
  EXPECT_EQ(direct.History().size(), 2u);
}

using PostgresCatalogTest = LostSwapTest;

// A connection that broke while idle (after a network cut, a server
// restart) tells so only at its next call: a read runs again on a new
// connection instead of failing with Unavailable although the server is back.
TEST_F(PostgresCatalogTest, AConnectionEndedWhileIdleIsReplacedForARead) {
  const std::string app = "idle" + std::to_string(std::random_device{}());
  Catalog::Open(url_).CreateTable(Id("t"), dir_.Join("t"), IdValueSchema());
  Table t = Catalog::Open(url_ + "?application_name=" + app).LoadTable(Id("t"));
  sql::PgConnection admin(url_, "test server");
  EXPECT_EQ(admin
                .Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      " WHERE application_name = $1",
                      {app}, "ending the catalog's session")
                .rows(),
            1);
  while (admin
             .Exec("SELECT 1 FROM pg_stat_activity WHERE application_name = $1", {app},
                   "looking for the catalog's session")
             .rows() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  t.AppendRecords(IdValueRows(0, 3), IdValueSchema());
  Table direct = Catalog::Open(url_).LoadTable(Id("t"));
  EXPECT_EQ(SortedIds(direct), (std::vector<int64_t>{0, 1, 2}));
}

}  // namespace
}  // namespace datashard

// datashard's side of bench/scan.sh and of bench/run's scan rows.
// `scan_bench build TABLE ROWS` creates a table (id long, k int, name string,
// score double) with appends of 500,000 rows each; `scan_bench scan TABLE LO
// HI` times a full scan of every column and a selective scan (LO <= id < HI),
// printing lines
// "name wall_seconds cpu_seconds rows bytes_read files_pruned row_groups_pruned".
// `scan_bench full TABLE`, `scan_bench range TABLE LO HI` and `scan_bench
// count TABLE FILTER` run one of them (count: TableScan::Count) and print
// the rows; bench/run times the whole process.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "datashard/scan.h"
#include "datashard/table.h"

namespace {

using datashard::ColumnVector;
using datashard::DataType;
using datashard::Field;
using datashard::Schema;
using datashard::Value;

double CpuSeconds() {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void Build(const std::string& path, int64_t rows) {
  const Schema schema(
      0, {Field{1, "id", DataType::Long(), true}, Field{2, "k", DataType::Int(), true},
          Field{3, "name", DataType::String(), true}, Field{4, "score", DataType::Double(), true}});
  datashard::Table t = datashard::CreateTable(path, schema);
  constexpr int64_t kChunk = 500000;
  for (int64_t first = 0; first < rows; first += kChunk) {
    const int64_t n = std::min(kChunk, rows - first);
    ColumnVector id(DataType::Long()), k(DataType::Int()), name(DataType::String()),
        score(DataType::Double());
    for (int64_t i = first; i < first + n; ++i) {
      id.Append(Value(i));
      k.Append(Value(static_cast<int32_t>(i % 1000)));
      name.Append(Value("customer-" + std::to_string(i % 5000)));
      score.Append(Value(static_cast<double>(i % 100000) / 16.0));
    }
    datashard::Transaction tx = t.NewTransaction();
    tx.AppendColumns({id, k, name, score}, schema);
    tx.Commit();
  }
}

void Time(const std::string& label, datashard::TableScan scan) {
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = CpuSeconds();
  std::unique_ptr<datashard::ScanReader> reader = scan.Open();
  datashard::RecordBatch batch;
  int64_t rows = 0;
  while (reader->Next(&batch)) rows += static_cast<int64_t>(batch.num_rows());
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const datashard::ScanMetrics m = reader->metrics();
  std::printf("%s %.3f %.3f %lld %lld %lld %lld\n", label.c_str(), wall, CpuSeconds() - c0,
              static_cast<long long>(rows), static_cast<long long>(m.bytes_read),
              static_cast<long long>(m.data_files_pruned),
              static_cast<long long>(m.row_groups_pruned));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "build" && argc == 4) {
      Build(argv[2], std::atoll(argv[3]));
      return 0;
    }
    if (mode == "scan" && argc == 5) {
      datashard::Table t = datashard::OpenTable(argv[2]);
      Time("datashard_full_scan", datashard::NewScan(t));
      Time("datashard_selective_scan",
           datashard::NewScan(t).Filter("id >= " + std::string(argv[3]) + " and id < " + argv[4]));
      return 0;
    }
    if (mode == "full" && argc == 3) {
      Time("datashard_full_scan", datashard::NewScan(datashard::OpenTable(argv[2])));
      return 0;
    }
    if (mode == "range" && argc == 5) {
      Time("datashard_selective_scan",
           datashard::NewScan(datashard::OpenTable(argv[2]))
               .Filter("id >= " + std::string(argv[3]) + " and id < " + argv[4]));
      return 0;
    }
    if (mode == "count" && argc == 4) {
      std::printf("%lld\n",
                  static_cast<long long>(
                      datashard::NewScan(datashard::OpenTable(argv[2])).Filter(argv[3]).Count()));
      return 0;
    }
    std::fprintf(stderr,
                 "usage: scan_bench build TABLE ROWS | scan TABLE LO HI | full TABLE | range TABLE "
                 "LO HI | count TABLE FILTER\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scan_bench: %s\n", e.what());
    return 1;
  }
}

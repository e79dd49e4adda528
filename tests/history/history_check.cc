// history_check: checks the history that processes logged into folders (one
// JSON Lines file per process, README.md) and prints what it found as one
// JSON object. Exit 0: no anomaly; 1: anomalies; 2: bad usage or a
// malformed history.
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "datashard/errors.h"
#include "history/history_checker.h"

int main(int argc, char** argv) {
  using namespace datashard::history;
  CLI::App app{
      "Checks a recorded history of table operations (lost, duplicated, aborted, "
      "intermediate and out-of-order reads, real-time order, lost updates)"};
  std::vector<std::string> dirs;
  CheckOptions options;
  app.add_option("DIR", dirs, "Folders of *.jsonl process logs, checked as one history")
      ->required();
  app.add_flag("--realtime-reads", options.realtime_reads,
               "Reads must see every write acknowledged before they began");
  app.add_option("--examples", options.examples_per_type,
                 "Anomalies printed with their operations, per type (default 10)");
  CLI11_PARSE(app, argc, argv);
  try {
    History history;
    for (const std::string& dir : dirs) history.AddFolder(*datashard::DefaultFileIO(), dir);
    const std::vector<Operation> ops = history.operations();
    const CheckResult r = Check(ops, options);
    nlohmann::json examples = nlohmann::json::array();
    for (const Anomaly& a : r.anomalies) examples.push_back(a.ToString());
    const FinalRows& f = r.final_rows;
    const nlohmann::json out = {{"valid", r.valid()},
                                {"operations", ops.size()},
                                {"writes_ok", r.writes_ok},
                                {"writes_failed", r.writes_failed},
                                {"writes_unknown", r.writes_unknown},
                                {"reads_ok", r.reads_ok},
                                {"reads_final", r.reads_final},
                                {"other_ops", r.other_ops},
                                {"anomalies", r.counts},
                                {"examples", examples},
                                {"final_rows",
                                 {{"checked", f.checked},
                                  {"expected", f.expected},
                                  {"found", f.found},
                                  {"lost", f.lost},
                                  {"duplicated", f.duplicated},
                                  {"phantom", f.phantom},
                                  {"unknown_landed", f.unknown_landed}}}};
    std::cout << out.dump() << "\n";
    return r.valid() ? 0 : 1;
  } catch (const datashard::Error& e) {
    std::cerr << "history_check: " << e.what() << "\n";
    return 2;
  }
}

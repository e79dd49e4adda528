#include "history/history.h"

#include <time.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "datashard/errors.h"

namespace datashard::history {

using Json = nlohmann::json;

namespace {

const char* TypeName(EventType t) {
  switch (t) {
    case EventType::kInvoke:
      return "invoke";
    case EventType::kOk:
      return "ok";
    case EventType::kFail:
      return "fail";
    case EventType::kInfo:
      return "info";
    case EventType::kSnapshot:
      return "snapshot";
  }
  return "?";
}

EventType TypeFromName(const std::string& name, const std::string& where) {
  for (EventType t : {EventType::kInvoke, EventType::kOk, EventType::kFail, EventType::kInfo,
                      EventType::kSnapshot}) {
    if (name == TypeName(t)) return t;
  }
  throw InvalidArgument(where + ": unknown event type '" + name + "'");
}

// An observation as {"writer": [[first_seq, last_seq, distinct, total], ...]}:
// runs of consecutive seqs seen with the same counts, so that a read of
// thousands of whole writes takes a line of a few runs per writer.
Json ObservationToJson(const Observation& o) {
  Json writers = Json::object();
  const WriteId* run_start = nullptr;
  const WriteId* run_end = nullptr;
  Seen run_seen;
  const auto close = [&] {
    if (run_start == nullptr) return;
    writers[run_start->writer].push_back(
        Json::array({run_start->seq, run_end->seq, run_seen.distinct, run_seen.total}));
  };
  for (const auto& [id, seen] : o.writes) {
    if (run_start != nullptr && id.writer == run_end->writer && id.seq == run_end->seq + 1 &&
        seen == run_seen) {
      run_end = &id;
      continue;
    }
    close();
    run_start = run_end = &id;
    run_seen = seen;
  }
  close();
  return writers;
}

Observation ObservationFromJson(const Json& j, const std::string& where) {
  if (!j.is_object()) throw InvalidArgument(where + ": 'observed' is not an object");
  Observation o;
  for (const auto& [writer, runs] : j.items()) {
    if (!runs.is_array()) throw InvalidArgument(where + ": runs of writer " + writer);
    for (const Json& run : runs) {
      if (!run.is_array() || run.size() != 4) {
        throw InvalidArgument(where + ": a run of writer " + writer +
                              " is not [first_seq, last_seq, distinct, total]");
      }
      const auto first = run[0].get<int64_t>(), last = run[1].get<int64_t>();
      const Seen seen{run[2].get<int64_t>(), run[3].get<int64_t>()};
      if (last < first || last - first > (int64_t{1} << 24)) {
        throw InvalidArgument(where + ": run " + run.dump() + " of writer " + writer);
      }
      for (int64_t s = first; s <= last; ++s) o.writes[WriteId{writer, s}] = seen;
    }
  }
  return o;
}

template <typename T>
std::optional<T> Optional(const Json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<T>();
}

}  // namespace

void ObservationBuilder::Add(const WriteId& write, int64_t row) { ++rows_[write][row]; }

Observation ObservationBuilder::Finish() {
  for (const auto& [write, rows] : rows_) {
    Seen& s = observation_.writes[write];
    for (const auto& [row, n] : rows) {
      ++s.distinct;
      s.total += n;
    }
  }
  rows_.clear();
  return std::move(observation_);
}

int64_t MonotonicNanos() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string EventToJson(const Event& e) {
  Json j = {{"type", TypeName(e.type)}};
  if (e.type != EventType::kSnapshot) {
    j["process"] = e.process;
    j["op"] = e.op;
    j["time"] = e.time_ns;
  }
  if (!e.f.empty()) j["f"] = e.f;
  if (e.write) {
    j["writer"] = e.write->writer;
    j["seq"] = e.write->seq;
    j["rows"] = e.rows;
  }
  if (e.base) j["base"] = *e.base;
  if (e.base_snapshot) j["base_snapshot"] = *e.base_snapshot;
  if (!e.scope.empty()) j["scope"] = e.scope;
  if (e.position) j["position"] = *e.position;
  if (e.snapshot) j["snapshot"] = *e.snapshot;
  if (e.observed) {
    j["observed"] = ObservationToJson(*e.observed);
    if (e.observed->foreign_rows != 0) j["foreign_rows"] = e.observed->foreign_rows;
  }
  if (e.final) j["final"] = true;
  if (!e.error.empty()) j["error"] = e.error;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Event EventFromJson(const std::string& line, const std::string& where) {
  const Json j = Json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    throw InvalidArgument(where + ": not a history event: " + line.substr(0, 200));
  }
  Event e;
  try {
    e.type = TypeFromName(j["type"].get<std::string>(), where);
    if (e.type == EventType::kSnapshot) {
      e.snapshot = j.at("snapshot").get<int64_t>();
      e.position = j.at("position").get<int64_t>();
      return e;
    }
    e.process = j.at("process").get<std::string>();
    e.op = j.at("op").get<int64_t>();
    e.time_ns = j.at("time").get<int64_t>();
    e.f = j.value("f", "");
    if (j.contains("writer")) {
      e.write = WriteId{j["writer"].get<std::string>(), j.at("seq").get<int64_t>()};
      e.rows = j.at("rows").get<int64_t>();
    }
    e.base = Optional<int64_t>(j, "base");
    e.base_snapshot = Optional<int64_t>(j, "base_snapshot");
    e.scope = j.value("scope", "");
    e.position = Optional<int64_t>(j, "position");
    e.snapshot = Optional<int64_t>(j, "snapshot");
    if (j.contains("observed")) {
      e.observed = ObservationFromJson(j["observed"], where);
      e.observed->foreign_rows = j.value("foreign_rows", int64_t{0});
    }
    e.final = j.value("final", false);
    e.error = j.value("error", "");
  } catch (const Json::exception& x) {
    throw InvalidArgument(where + ": malformed history event (" + x.what() +
                          "): " + line.substr(0, 200));
  }
  return e;
}

std::string Operation::Describe() const {
  std::string s = process + "#" + std::to_string(op) + " " + f;
  if (write) s += " " + write->ToString();
  switch (outcome) {
    case EventType::kOk:
      s += " ok";
      break;
    case EventType::kFail:
      s += " fail";
      break;
    default:
      s += complete_ns ? " info" : " crashed";
      break;
  }
  if (position) s += " @" + std::to_string(*position);
  if (base) s += " base @" + std::to_string(*base);
  if (final) s += " (final)";
  return s;
}

void History::Add(const Event& e) {
  if (e.type == EventType::kSnapshot) {
    snapshot_positions_[*e.snapshot] = *e.position;
    return;
  }
  const auto key = std::make_pair(e.process, e.op);
  const std::string name = e.process + "#" + std::to_string(e.op);
  if (e.type == EventType::kInvoke) {
    if (by_op_.count(key)) throw InvalidArgument("history: operation " + name + " invoked twice");
    Operation o;
    o.index = ops_.size();
    o.process = e.process;
    o.op = e.op;
    o.f = e.f;
    o.invoke_ns = e.time_ns;
    o.write = e.write;
    o.rows = e.rows;
    o.base = e.base;
    o.base_snapshot = e.base_snapshot;
    o.scope = e.scope;
    if (o.write) {
      const auto [it, fresh] = writes_.emplace(*o.write, o.index);
      if (!fresh) {
        throw InvalidArgument("history: write " + o.write->ToString() + " invoked by " + name +
                              " and by " + ops_[it->second].process + "#" +
                              std::to_string(ops_[it->second].op));
      }
    }
    by_op_[key] = ops_.size();
    ops_.push_back(std::move(o));
    return;
  }
  const auto it = by_op_.find(key);
  if (it == by_op_.end()) {
    throw InvalidArgument("history: operation " + name + " completed without an invocation");
  }
  Operation& o = ops_[it->second];
  if (o.complete_ns) throw InvalidArgument("history: operation " + name + " completed twice");
  o.complete_ns = e.time_ns;
  o.outcome = e.type;
  if (e.position) o.position = e.position;
  if (e.snapshot) o.snapshot = e.snapshot;
  if (e.observed) o.observed = e.observed;
  o.final = e.final;
  o.error = e.error;
}

void History::AddJsonLines(const std::string& text, const std::string& source) {
  size_t start = 0;
  int64_t line = 1;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) return;  // torn by a crash
    if (end > start) {
      Add(EventFromJson(text.substr(start, end - start), source + ":" + std::to_string(line)));
    }
    start = end + 1;
    ++line;
  }
}

void History::AddFolder(FileIO& io, const std::string& dir) {
  for (const FileInfo& f : io.List(dir)) {
    const std::string& n = f.name;
    if (f.is_directory || n.size() < 6 || n.compare(n.size() - 6, 6, ".jsonl") != 0) continue;
    const std::string path = dir + "/" + n;
    AddJsonLines(io.ReadFile(path), path);
  }
}

std::vector<Operation> History::operations() const {
  std::vector<Operation> out = ops_;
  for (Operation& o : out) {
    if (o.snapshot && !o.position) {
      const auto it = snapshot_positions_.find(*o.snapshot);
      if (it != snapshot_positions_.end()) o.position = it->second;
    }
    if (o.base_snapshot && !o.base) {
      const auto it = snapshot_positions_.find(*o.base_snapshot);
      if (it != snapshot_positions_.end()) o.base = it->second;
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Operation& a, const Operation& b) {
    return a.invoke_ns < b.invoke_ns;
  });
  for (size_t i = 0; i < out.size(); ++i) out[i].index = i;
  return out;
}

}  // namespace datashard::history

// The history checker against hand-made histories: one per anomaly it
// claims to catch (each must be reported, under its name, and nothing
// else), and valid ones it must accept.
#include "history/history_checker.h"

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "io/temp_dir.h"

namespace datashard::history {
namespace {

using Counts = std::map<std::string, int64_t>;

// Builds a history event by event with explicit times, so that tests say
// which operations overlap in real time.
class Builder {
 public:
  // A write `writer:seq` of `rows` rows invoked at `t`.
  Builder& Invoke(const std::string& process, int64_t op, int64_t t, const std::string& writer,
                  int64_t seq, int64_t rows = 3) {
    Event e = Base(EventType::kInvoke, process, op, t);
    e.f = "append";
    e.write = WriteId{writer, seq};
    e.rows = rows;
    events_.push_back(e);
    return *this;
  }
  Builder& Guarded(const std::string& process, int64_t op, int64_t t, const std::string& writer,
                   int64_t seq, int64_t base) {
    Invoke(process, op, t, writer, seq);
    events_.back().base = base;
    return *this;
  }
  Builder& Ok(const std::string& process, int64_t op, int64_t t,
              std::optional<int64_t> position = std::nullopt) {
    Event e = Base(EventType::kOk, process, op, t);
    e.position = position;
    events_.push_back(e);
    return *this;
  }
  Builder& Fail(const std::string& process, int64_t op, int64_t t) {
    Event e = Base(EventType::kFail, process, op, t);
    e.error = "CommitConflict";
    events_.push_back(e);
    return *this;
  }
  Builder& Info(const std::string& process, int64_t op, int64_t t) {
    Event e = Base(EventType::kInfo, process, op, t);
    e.error = "CommitStateUnknown";
    events_.push_back(e);
    return *this;
  }
  // A read from `t` to `t + 1` that saw `seen` (writer, seq, distinct rows,
  // rows in all).
  Builder& Read(const std::string& process, int64_t op, int64_t t,
                std::vector<std::tuple<std::string, int64_t, int64_t, int64_t>> seen,
                bool final = false, std::optional<int64_t> position = std::nullopt,
                int64_t foreign_rows = 0) {
    Event invoke = Base(EventType::kInvoke, process, op, t);
    invoke.f = "read";
    events_.push_back(invoke);
    Event ok = Base(EventType::kOk, process, op, t + 1);
    Observation o;
    for (const auto& [writer, seq, distinct, total] : seen) {
      o.writes[WriteId{writer, seq}] = Seen{distinct, total};
    }
    o.foreign_rows = foreign_rows;
    ok.observed = o;
    ok.final = final;
    ok.position = position;
    events_.push_back(ok);
    return *this;
  }

  std::vector<Operation> Operations() const {
    History h;
    for (const Event& e : events_) h.Add(e);
    return h.operations();
  }
  CheckResult Check(CheckOptions options = {}) const {
    return history::Check(Operations(), options);
  }
  const std::vector<Event>& events() const { return events_; }

 private:
  static Event Base(EventType type, const std::string& process, int64_t op, int64_t t) {
    Event e;
    e.type = type;
    e.process = process;
    e.op = op;
    e.time_ns = t;
    return e;
  }
  std::vector<Event> events_;
};

std::string Describe(const CheckResult& r) {
  std::string s;
  for (const Anomaly& a : r.anomalies) s += a.ToString() + "\n";
  return s;
}

// Two writers, one conflict, one commit whose outcome is unknown but which
// landed, one crash before any outcome, readers that only move forward.
TEST(HistoryCheckerTest, AcceptsAValidConcurrentHistory) {
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Invoke("w1", 0, 11, "1", 0);
  b.Ok("w0", 0, 20, 1).Fail("w1", 0, 21);
  b.Read("r0", 0, 22, {{"0", 0, 3, 3}}, false, 1);
  b.Invoke("w1", 1, 30, "1", 1).Invoke("w0", 1, 31, "0", 1);
  b.Read("r0", 1, 32, {{"0", 0, 3, 3}}, false, 1);
  b.Ok("w1", 1, 40, 2).Info("w0", 1, 41);
  b.Invoke("w0.2", 0, 50, "0", 2);  // crashed: never completes
  b.Read("r0", 2, 60, {{"0", 0, 3, 3}, {"1", 1, 3, 3}, {"0", 1, 3, 3}}, false, 3);
  b.Read("final", 0, 70, {{"0", 0, 3, 3}, {"1", 1, 3, 3}, {"0", 1, 3, 3}}, true);
  const CheckResult r = b.Check({.realtime_reads = true});
  EXPECT_TRUE(r.valid()) << Describe(r);
  EXPECT_EQ(r.writes_ok, 2);
  EXPECT_EQ(r.writes_failed, 1);
  EXPECT_EQ(r.writes_unknown, 2);
  EXPECT_EQ(r.reads_ok, 4);
  EXPECT_EQ(r.reads_final, 1);
  EXPECT_TRUE(r.final_rows.checked);
  EXPECT_EQ(r.final_rows.expected, 6);
  EXPECT_EQ(r.final_rows.found, 6);
  EXPECT_EQ(r.final_rows.lost, 0);
  EXPECT_EQ(r.final_rows.unknown_landed, 3);
  EXPECT_EQ(r.final_rows.phantom, 0);
}

TEST(HistoryCheckerTest, AcceptsConcurrentWritesInEitherOrder) {
  // Overlapping in real time, so either commit order is allowed.
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Invoke("w1", 0, 11, "1", 0);
  b.Ok("w1", 0, 20, 1).Ok("w0", 0, 21, 2);
  b.Read("r", 0, 30, {{"1", 0, 3, 3}, {"0", 0, 3, 3}}, true);
  EXPECT_TRUE(b.Check({.realtime_reads = true}).valid());
}

TEST(HistoryCheckerTest, LostAcknowledgedWrite) {
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Ok("w0", 0, 20, 1);
  b.Invoke("w0", 1, 21, "0", 1).Ok("w0", 1, 30, 2);
  b.Read("final", 0, 40, {{"0", 0, 3, 3}}, true);
  const CheckResult r = b.Check();
  EXPECT_EQ(r.counts, (Counts{{"lost", 1}})) << Describe(r);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].ops[1].write->ToString(), "0:1");
  EXPECT_EQ(r.final_rows.expected, 6);
  EXPECT_EQ(r.final_rows.found, 3);
  EXPECT_EQ(r.final_rows.lost, 3);
}

TEST(HistoryCheckerTest, RowSeenTwice) {
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Ok("w0", 0, 20, 1);
  b.Read("final", 0, 30, {{"0", 0, 3, 4}}, true);
  const CheckResult r = b.Check();
  EXPECT_EQ(r.counts, (Counts{{"duplicate", 1}})) << Describe(r);
  EXPECT_EQ(r.final_rows.duplicated, 1);
}

TEST(HistoryCheckerTest, WriteAppliedTwice) {
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Ok("w0", 0, 20, 1);
  b.Read("final", 0, 30, {{"0", 0, 3, 6}}, true);
  const CheckResult r = b.Check();
  EXPECT_EQ(r.counts, (Counts{{"duplicate", 1}})) << Describe(r);
  EXPECT_EQ(r.final_rows.duplicated, 3);
}

TEST(HistoryCheckerTest, G1aAbortedRead) {
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Fail("w0", 0, 20);
  b.Read("r", 0, 30, {{"0", 0, 3, 3}}, true);
  const CheckResult r = b.Check();
  EXPECT_EQ(r.counts, (Counts{{"G1a", 1}})) << Describe(r);
  EXPECT_EQ(r.final_rows.phantom, 3);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].ops[1].outcome, EventType::kFail);
}

TEST(HistoryCheckerTest, G1bIntermediateRead) {
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Ok("w0", 0, 20, 1);
  b.Read("r", 0, 12, {{"0", 0, 2, 2}});
  const CheckResult r = b.Check();
  EXPECT_EQ(r.counts, (Counts{{"G1b", 1}})) << Describe(r);
}

TEST(HistoryCheckerTest, UnexpectedRows) {
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Ok("w0", 0, 20, 1);
  b.Read("final", 0, 30, {{"0", 0, 3, 3}, {"7", 0, 1, 1}}, true, std::nullopt, 2);
  const CheckResult r = b.Check();
  EXPECT_EQ(r.counts, (Counts{{"unexpected", 2}})) << Describe(r);
  EXPECT_EQ(r.final_rows.phantom, 3);
}

TEST(HistoryCheckerTest, G0TwoWritesAtOnePosition) {
  // Both commits published version 2: one replaced the other.
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Invoke("w1", 0, 11, "1", 0);
  b.Ok("w0", 0, 20, 2).Ok("w1", 0, 21, 2);
  b.Read("r", 0, 30, {{"1", 0, 3, 3}});
  const CheckResult r = b.Check();
  EXPECT_EQ(r.counts, (Counts{{"G0", 1}})) << Describe(r);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].ops.size(), 3u);
}

TEST(HistoryCheckerTest, GSingleReadSkew) {
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Invoke("w1", 0, 11, "1", 0);
  b.Ok("w0", 0, 20, 1).Ok("w1", 0, 21, 2);
  b.Read("r", 0, 30, {{"1", 0, 3, 3}});  // saw @2 without @1
  const CheckResult r = b.Check();
  EXPECT_EQ(r.counts, (Counts{{"G-single", 1}})) << Describe(r);
  ASSERT_EQ(r.anomalies.size(), 1u);
  ASSERT_EQ(r.anomalies[0].ops.size(), 3u);
  EXPECT_EQ(r.anomalies[0].ops[1].write->ToString(), "0:0");
  EXPECT_EQ(r.anomalies[0].ops[2].write->ToString(), "1:0");
}

TEST(HistoryCheckerTest, GSingleReadOfAPositionMissingAnEarlierWrite) {
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Ok("w0", 0, 20, 4);
  b.Read("r", 0, 30, {}, false, 5);
  EXPECT_EQ(b.Check().counts, (Counts{{"G-single", 1}}));
}

TEST(HistoryCheckerTest, IncompatibleOrderBetweenTwoReads) {
  // Outcomes unknown, so no positions: only the reads order the writes.
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Invoke("w1", 0, 11, "1", 0);
  b.Info("w0", 0, 20).Info("w1", 0, 21);
  b.Read("r0", 0, 30, {{"0", 0, 3, 3}});
  b.Read("r1", 0, 30, {{"1", 0, 3, 3}});
  const CheckResult r = b.Check();
  EXPECT_EQ(r.counts, (Counts{{"incompatible-order", 1}})) << Describe(r);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].ops.size(), 4u);
}

TEST(HistoryCheckerTest, GSingleProcessNonMonotonicRead) {
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Info("w0", 0, 20);
  b.Read("r", 0, 30, {{"0", 0, 3, 3}});
  b.Read("r", 1, 40, {});
  const CheckResult r = b.Check();
  EXPECT_EQ(r.counts, (Counts{{"G-single-process", 1}})) << Describe(r);
}

TEST(HistoryCheckerTest, GSingleProcessReadOfAnOlderPosition) {
  Builder b;
  b.Read("r", 0, 30, {}, false, 7);
  b.Read("r", 1, 40, {}, false, 6);
  EXPECT_EQ(b.Check().counts, (Counts{{"G-single-process", 1}}));
}

TEST(HistoryCheckerTest, GSingleRealtimeStaleRead) {
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Ok("w0", 0, 20);  // no position known
  b.Read("r", 0, 30, {});
  EXPECT_TRUE(b.Check().valid());  // a pinned reader may read an older state
  const CheckResult r = b.Check({.realtime_reads = true});
  EXPECT_EQ(r.counts, (Counts{{"G-single-realtime", 1}})) << Describe(r);
}

TEST(HistoryCheckerTest, G0RealtimeCommitOrderAgainstRealTime) {
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Ok("w0", 0, 20, 5);
  b.Invoke("w1", 0, 30, "1", 0).Ok("w1", 0, 40, 4);  // began after w0's ack, ordered before it
  const CheckResult r = b.Check();
  EXPECT_EQ(r.counts, (Counts{{"G0-realtime", 1}})) << Describe(r);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].ops[0].write->ToString(), "0:0");
  EXPECT_EQ(r.anomalies[0].ops[1].write->ToString(), "1:0");
}

TEST(HistoryCheckerTest, G1cGuardedWriteOrderedBeforeTheStateItRead) {
  Builder b;
  b.Guarded("w0", 0, 10, "0", 0, /*base=*/5).Ok("w0", 0, 20, 5);
  EXPECT_EQ(b.Check().counts, (Counts{{"G1c", 1}}));
}

TEST(HistoryCheckerTest, LostUpdateTwoGuardedWritesFromOneBase) {
  Builder b;
  b.Guarded("w0", 0, 10, "0", 0, 1).Guarded("w1", 0, 11, "1", 0, 1);
  b.Ok("w0", 0, 20, 2).Ok("w1", 0, 21, 3);
  const CheckResult r = b.Check();
  EXPECT_EQ(r.counts, (Counts{{"lost-update", 1}})) << Describe(r);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].ops[0].write->ToString(), "0:0");
  EXPECT_EQ(r.anomalies[0].ops[1].write->ToString(), "1:0");
}

TEST(HistoryCheckerTest, GuardedWritesInOtherScopesOrFromTheNewBaseAreValid) {
  Builder b;
  b.Guarded("w0", 0, 10, "0", 0, 1).Guarded("w1", 0, 11, "1", 0, 1);
  b.Ok("w0", 0, 20, 2).Fail("w1", 0, 21);  // the loser of the race is refused
  b.Guarded("w1", 1, 30, "1", 1, 2).Ok("w1", 1, 40, 3);
  EXPECT_TRUE(b.Check().valid());
  Builder scoped;
  scoped.Guarded("w0", 0, 10, "0", 0, 1).Guarded("w1", 0, 11, "1", 0, 1);
  scoped.Ok("w0", 0, 20, 2).Ok("w1", 0, 21, 3);
  std::vector<Operation> ops = scoped.Operations();
  ops[0].scope = "flight/1";
  ops[1].scope = "flight/2";
  EXPECT_TRUE(Check(ops).valid());
}

TEST(HistoryCheckerTest, KeepsExamplesButCountsEveryAnomaly) {
  Builder b;
  for (int i = 0; i < 30; ++i) {
    b.Invoke("w0", i, 10 * i, "0", i).Ok("w0", i, 10 * i + 5, i + 1);
  }
  b.Read("final", 0, 1000, {}, true);
  const CheckResult r = b.Check({.examples_per_type = 4});
  EXPECT_EQ(r.counts, (Counts{{"lost", 30}}));
  EXPECT_EQ(r.anomalies.size(), 4u);
  EXPECT_EQ(r.anomaly_count(), 30);
}

TEST(HistoryTest, EventsRoundTripThroughJsonLines) {
  Builder b;
  b.Guarded("w0", 0, 10, "0", 0, 4);
  b.Ok("w0", 0, 20, 5);
  b.Read("r", 0, 30, {{"0", 0, 3, 3}, {"0", 1, 3, 3}, {"0", 2, 2, 2}, {"1", 5, 3, 3}}, true, 9, 4);
  for (const Event& e : b.events()) {
    const std::string line = EventToJson(e);
    const Event back = EventFromJson(line, "test");
    EXPECT_EQ(EventToJson(back), line);
    EXPECT_EQ(back.observed, e.observed);
  }
  // Consecutive whole writes take one run.
  const std::string read = EventToJson(b.events()[3]);
  EXPECT_NE(read.find(R"("0":[[0,1,3,3],[2,2,2,2]])"), std::string::npos) << read;
}

TEST(HistoryTest, ATornLastLineIsIgnoredAndAnOpenInvocationIsUnknown) {
  History h;
  h.AddJsonLines(
      R"({"type":"invoke","process":"w","op":0,"time":1,"f":"append","writer":"w","seq":0,"rows":2})"
      "\n"
      R"({"type":"ok","process":"w","op":0,"ti)",
      "w.jsonl");
  const std::vector<Operation> ops = h.operations();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].outcome, EventType::kInfo);
  EXPECT_FALSE(ops[0].complete_ns.has_value());
  EXPECT_EQ(ops[0].Describe(), "w#0 append w:0 crashed");
}

TEST(HistoryTest, SnapshotIdsResolveToPositions) {
  History h;
  h.AddJsonLines(
      R"({"type":"invoke","process":"w","op":0,"time":1,"f":"append","writer":"w","seq":0,"rows":1,"base_snapshot":77})"
      "\n"
      R"({"type":"ok","process":"w","op":0,"time":2,"snapshot":88})"
      "\n"
      R"({"type":"snapshot","snapshot":77,"position":3})"
      "\n"
      R"({"type":"snapshot","snapshot":88,"position":4})"
      "\n",
      "w.jsonl");
  const std::vector<Operation> ops = h.operations();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].base, 3);
  EXPECT_EQ(ops[0].position, 4);
}

TEST(HistoryTest, RefusesMalformedHistories) {
  History h;
  EXPECT_THROW(h.AddJsonLines("not json\n", "x.jsonl"), InvalidArgument);
  EXPECT_THROW(h.AddJsonLines(R"({"type":"ok","process":"w","op":0,"time":2})"
                              "\n",
                              "x.jsonl"),
               InvalidArgument);
  Builder b;
  b.Invoke("w0", 0, 10, "0", 0).Invoke("w1", 0, 11, "0", 0);
  EXPECT_THROW(b.Operations(), InvalidArgument);  // one write id invoked twice
}

TEST(HistoryTest, ReadsEveryProcessFileOfAFolder) {
  TempDir dir("history");
  auto io = DefaultFileIO();
  io->WriteFile(
      dir.Join("w0.jsonl"),
      R"({"type":"invoke","process":"w0","op":0,"time":1,"f":"append","writer":"0","seq":0,"rows":1})"
      "\n"
      R"({"type":"ok","process":"w0","op":0,"time":2,"position":1})"
      "\n");
  io->WriteFile(dir.Join("r0.jsonl"),
                R"({"type":"invoke","process":"r0","op":0,"time":3,"f":"read"})"
                "\n"
                R"({"type":"ok","process":"r0","op":0,"time":4,"observed":{},"final":true})"
                "\n");
  io->WriteFile(dir.Join("notes.txt"), "ignored");
  History h;
  h.AddFolder(*io, dir.path());
  const CheckResult r = Check(h.operations());
  EXPECT_EQ(r.counts, (Counts{{"lost", 1}}));
}

TEST(ObservationBuilderTest, CountsDistinctAndRepeatedRows) {
  ObservationBuilder b;
  b.Add({"a", 1}, 0);
  b.Add({"a", 1}, 1);
  b.Add({"a", 1}, 1);
  b.Add({"b", 0}, 0);
  b.AddForeign();
  const Observation o = b.Finish();
  EXPECT_EQ(o.writes.at(WriteId{"a", 1}), (Seen{2, 3}));
  EXPECT_EQ(o.writes.at(WriteId{"b", 0}), (Seen{1, 1}));
  EXPECT_EQ(o.foreign_rows, 1);
}

}  // namespace
}  // namespace datashard::history

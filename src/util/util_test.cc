#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "util/backoff.h"
#include "util/batch_pipeline.h"
#include "util/bounded_memo.h"
#include "util/clock.h"
#include "util/crc32c.h"
#include "util/hex.h"
#include "util/lexical_path.h"
#include "util/random.h"
#include "util/utf8.h"
#include "util/uuid.h"

namespace datashard {
namespace {

// Check values from RFC 3720 (iSCSI) appendix B.4 and the common "123456789".
TEST(Crc32cTest, MatchesPublishedCheckValues) {
  const std::string zeros(32, '\0'), ones(32, '\xff');
  std::string ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(ones.data(), ones.size()), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(ascending.data(), ascending.size()), 0x46DD794Eu);
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(Crc32c("", 0), 0u);
}

TEST(Crc32cTest, ContinuesAcrossPiecesOfEveryAlignment) {
  std::string data(100, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 37 + 11);
  const uint32_t whole = Crc32c(data.data(), data.size());
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    EXPECT_EQ(Crc32c(data.data() + cut, data.size() - cut, Crc32c(data.data(), cut)), whole) << cut;
  }
}

TEST(HexTest, EncodesAndDecodesEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string text = HexEncode(all);
  EXPECT_EQ(text.substr(0, 8), "00010203");
  EXPECT_EQ(text.substr(text.size() - 4), "feff");
  EXPECT_EQ(HexDecode(text), all);
  EXPECT_EQ(HexDecode("DeadBEEF"), std::string("\xde\xad\xbe\xef"));
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_THROW(HexDecode("abc"), InvalidArgument);
  EXPECT_THROW(HexDecode("zz"), InvalidArgument);
}

TEST(UuidTest, RandomUuidsAreVersion4WithRfcVariantAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const Uuid u = Uuid::Random();
    EXPECT_EQ(u.bytes()[6] >> 4, 4);
    EXPECT_EQ(u.bytes()[8] >> 6, 2);
    const std::string s = u.ToString();
    EXPECT_EQ(s[14], '4');
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

// Values are read ahead per thread; a forked child must draw fresh ones, or
// parent and child would name their files and commits alike.
TEST(SystemRandomTest, ForkedChildNeverRepeatsItsParentsValues) {
  SystemRandom64();  // the parent now holds values read ahead
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    uint64_t drawn[8];
    for (uint64_t& v : drawn) v = SystemRandom64();
    const bool sent = ::write(fds[1], drawn, sizeof drawn) == static_cast<ssize_t>(sizeof drawn);
    ::_exit(sent ? 0 : 1);
  }
  ::close(fds[1]);
  uint64_t theirs[8];
  size_t got = 0;
  while (got < sizeof theirs) {
    const ssize_t n = ::read(fds[0], reinterpret_cast<char*>(theirs) + got, sizeof theirs - got);
    ASSERT_GT(n, 0);
    got += static_cast<size_t>(n);
  }
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::set<uint64_t> seen(std::begin(theirs), std::end(theirs));
  for (int i = 0; i < 64; ++i) EXPECT_EQ(seen.count(SystemRandom64()), 0u);
  EXPECT_EQ(seen.size(), 8u);
}

TEST(UuidTest, CanonicalTextRoundTrips) {
  const Uuid u = Uuid::Parse("F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6");
  EXPECT_EQ(u.ToString(), "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  EXPECT_EQ(u.most_significant_bits(), 0xf81d4fae7dec11d0ULL);
  EXPECT_EQ(u.least_significant_bits(), 0xa76500a0c91e6bf6ULL);
  EXPECT_EQ(Uuid::Parse(u.ToString()), u);
  const std::string raw = u.ToBytes();
  ASSERT_EQ(raw.size(), 16u);
  EXPECT_EQ(static_cast<uint8_t>(raw[0]), 0xf8);
  EXPECT_EQ(static_cast<uint8_t>(raw[15]), 0xf6);
  EXPECT_EQ(Uuid::FromBytes(raw), u);
  EXPECT_EQ(Uuid().ToString(), "00000000-0000-0000-0000-000000000000");
}

TEST(UuidTest, RejectsMalformedText) {
  for (const char* bad :
       {"", "f81d4fae7dec11d0a76500a0c91e6bf6", "f81d4fae-7dec-11d0-a765-00a0c91e6bf",
        "f81d4fae-7dec-11d0-a765-00a0c91e6bfg", "f81d4fa-e7dec-11d0-a765-00a0c91e6bf6",
        "f81d4fae-7dec-11d0-a765-00a0c91e6bf6 "}) {
    EXPECT_THROW(Uuid::Parse(bad), InvalidArgument) << bad;
  }
  try {
    Uuid::Parse("abc");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'abc'"), std::string::npos);
  }
  EXPECT_THROW(Uuid::FromBytes("short"), InvalidArgument);
}

TEST(UuidTest, SeededSourceIsDeterministic) {
  EXPECT_EQ(Uuid::Random(SeededRandom(7)), Uuid::Random(SeededRandom(7)));
  EXPECT_NE(Uuid::Random(SeededRandom(7)), Uuid::Random(SeededRandom(8)));
}

TEST(RandomPositiveIdTest, XorsTheHalvesOfAUuidAndClearsTheSignBit) {
  // The same draws give the UUID and the id, so the id is checkable by hand.
  const Uuid u = Uuid::Random(SeededRandom(42));
  const int64_t expected = static_cast<int64_t>(
      (u.most_significant_bits() ^ u.least_significant_bits()) & 0x7fffffffffffffffULL);
  EXPECT_EQ(RandomPositiveId(SeededRandom(42)), expected);
  for (int i = 0; i < 1000; ++i) EXPECT_GT(RandomPositiveId(), 0);
}

TEST(RandomPositiveIdTest, DrawsAgainInsteadOfReturningZero) {
  // 0x8000000000004000 already carries the version (byte 6) and variant
  // (byte 8) bits, so two such draws give equal halves and the id 0.
  int calls = 0;
  RandomSource src = [&calls]() -> uint64_t {
    ++calls;
    return calls <= 2 ? 0x8000000000004000ULL : 0x0123456789abcdefULL * calls;
  };
  const int64_t id = RandomPositiveId(src);
  EXPECT_EQ(calls, 4);
  EXPECT_GT(id, 0);
}

TEST(RetryPolicyTest, MaxDelayDoublesUpToTheCap) {
  RetryPolicy p{5, std::chrono::microseconds(100), std::chrono::microseconds(1000)};
  EXPECT_EQ(p.MaxDelay(1).count(), 100);
  EXPECT_EQ(p.MaxDelay(2).count(), 200);
  EXPECT_EQ(p.MaxDelay(4).count(), 800);
  EXPECT_EQ(p.MaxDelay(5).count(), 1000);
  EXPECT_EQ(p.MaxDelay(1000000).count(), 1000);
  RetryPolicy huge{5, std::chrono::microseconds(3), std::chrono::microseconds(INT64_MAX)};
  EXPECT_EQ(huge.MaxDelay(70).count(), INT64_MAX);
}

TEST(BackoffTest, AllowsMaxAttemptsInTotal) {
  Backoff b(RetryPolicy{3, std::chrono::microseconds(10), std::chrono::microseconds(100)},
            SeededRandom(1));
  EXPECT_TRUE(b.CanRetry());
  b.NextDelay();
  EXPECT_TRUE(b.CanRetry());
  b.NextDelay();
  EXPECT_FALSE(b.CanRetry());
  EXPECT_EQ(b.retries(), 2);
  Backoff never(RetryPolicy{1, std::chrono::microseconds(10), std::chrono::microseconds(100)});
  EXPECT_FALSE(never.CanRetry());
}

TEST(BackoffTest, FullJitterStaysWithinBoundsAndIsReproducible) {
  const RetryPolicy p{20, std::chrono::microseconds(100), std::chrono::microseconds(5000)};
  Backoff a(p, SeededRandom(99)), b(p, SeededRandom(99));
  for (int retry = 1; retry < 20; ++retry) {
    const auto da = a.NextDelay();
    EXPECT_EQ(da, b.NextDelay());
    EXPECT_GE(da.count(), 0);
    EXPECT_LE(da.count(), p.MaxDelay(retry).count());
  }
  // Delays are the draw modulo (bound + 1): a source returning 250 gives 250
  // when the bound allows it and 250 % 101 = 48 for the first retry.
  Backoff fixed(p, [] { return uint64_t{250}; });
  EXPECT_EQ(fixed.NextDelay().count(), 48);
  EXPECT_EQ(fixed.NextDelay().count(), 49);   // bound 200: 250 % 201
  EXPECT_EQ(fixed.NextDelay().count(), 250);  // bound 400
}

TEST(ManualClockTest, MovesOnlyWhenToldAndRecordsSleeps) {
  ManualClock c(5000);
  EXPECT_EQ(c.NowMicros(), 5000);
  EXPECT_EQ(c.NowMillis(), 5);
  c.SleepFor(std::chrono::microseconds(1500));
  EXPECT_EQ(c.NowMicros(), 6500);
  EXPECT_EQ(c.MonotonicMicros(), 6500);
  EXPECT_EQ(c.slept_micros(), 1500);
  c.Advance(std::chrono::seconds(1));
  EXPECT_EQ(c.NowMicros(), 1006500);
  EXPECT_EQ(c.slept_micros(), 1500);
  c.SetMicros(42);
  EXPECT_EQ(c.NowMicros(), 42);
}

TEST(RealClockTest, ReadsPlausibleTimesAndMonotonicNeverGoesBack) {
  RealClock c;
  EXPECT_GT(c.NowMicros(), int64_t{1600000000} * 1000000);  // after Sep 2020
  const int64_t a = c.MonotonicMicros();
  EXPECT_GE(c.MonotonicMicros(), a);
}

// The ASCII fast path must hand over to the byte checks wherever a non-ASCII
// byte sits relative to its 8-byte steps.
TEST(Utf8Test, ValidatesSequencesAtEveryOffsetAfterAsciiRuns) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"\xc3\xa9", true},           // é
      {"\xe2\x82\xac", true},       // €
      {"\xf0\x9f\x98\x80", true},   // U+1F600
      {"\xc3", false},              // truncated
      {"\xc0\xaf", false},          // overlong
      {"\xed\xa0\x80", false},      // surrogate
      {"\xf4\x90\x80\x80", false},  // beyond U+10FFFF
      {"\xff", false},
      {"\x80", false},  // lone continuation byte
  };
  for (size_t run = 0; run <= 17; ++run) {
    for (const auto& [seq, valid] : cases) {
      const std::string ascii(run, 'a');
      EXPECT_EQ(IsValidUtf8(ascii + seq), valid) << run << " ASCII bytes, then " << seq.size();
      EXPECT_EQ(IsValidUtf8(ascii + seq + ascii), valid) << run << " around " << seq.size();
    }
    EXPECT_TRUE(IsValidUtf8(std::string(run, 'z')));
  }
}

TEST(BoundedMemoTest, BuildsEachKeyOnceAndDropsTheFirstStoredWhenFull) {
  BoundedMemo<int> memo(2);
  int built = 0;
  const auto make = [&](int v) {
    return [&built, v] {
      ++built;
      return v;
    };
  };
  EXPECT_EQ(memo.Get("a", make(1)), 1);
  EXPECT_EQ(memo.Get("a", make(99)), 1);  // memoised: not built again
  EXPECT_EQ(memo.Get("b", make(2)), 2);
  EXPECT_EQ(built, 2);
  EXPECT_EQ(memo.Get("c", make(3)), 3);  // full: "a" goes, "b" stays
  EXPECT_EQ(memo.Get("b", make(99)), 2);
  EXPECT_EQ(memo.Get("a", make(4)), 4);  // built again; "b" goes
  EXPECT_EQ(memo.Get("c", make(99)), 3);
  EXPECT_EQ(built, 4);
  memo.Put("d", 5);   // "c" goes
  memo.Put("a", 99);  // stored already: kept
  EXPECT_EQ(memo.Get("a", make(99)), 4);
  EXPECT_EQ(memo.Get("d", make(99)), 5);
  EXPECT_EQ(memo.Get("c", make(6)), 6);
  EXPECT_EQ(built, 5);
}

TEST(PipelineBatchesTest, ConsumesEveryBatchInOrderAndReusesTheirStorage) {
  int next = 0;
  size_t reused = 0;
  std::vector<int> seen;
  PipelineBatches<std::vector<int>>(
      [&](std::vector<int>* batch) {
        if (next == 999) return false;
        reused += batch->capacity() >= 3 ? 1 : 0;
        batch->assign({next, next + 1, next + 2});
        next += 3;
        return true;
      },
      [&](std::vector<int>& batch) { seen.insert(seen.end(), batch.begin(), batch.end()); });
  ASSERT_EQ(seen.size(), 999u);
  for (int i = 0; i < 999; ++i) ASSERT_EQ(seen[static_cast<size_t>(i)], i);
  EXPECT_GT(reused, 0u);  // consumed batches came back to the producer
}

TEST(PipelineBatchesTest, AProducerErrorStopsBothAndReachesTheCaller) {
  int made = 0;
  std::vector<int> consumed;
  try {
    PipelineBatches<int>(
        [&](int* batch) {
          if (made == 5) throw InvalidArgument("line 6: bad row");
          *batch = made++;
          return true;
        },
        [&](int& batch) { consumed.push_back(batch); });
    ADD_FAILURE() << "the producer's error was lost";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "line 6: bad row");
  }
  // A prefix of what was made, in order: what still waited was dropped.
  ASSERT_LE(consumed.size(), 5u);
  for (size_t i = 0; i < consumed.size(); ++i) EXPECT_EQ(consumed[i], static_cast<int>(i));
}

TEST(PipelineBatchesTest, AConsumerErrorStopsTheProducerAndReachesTheCaller) {
  std::atomic<int> made{0};
  EXPECT_THROW(PipelineBatches<int>(
                   [&](int* batch) {
                     *batch = made++;
                     return true;  // endless: only the consumer's error ends it
                   },
                   [&](int& batch) {
                     if (batch == 3) throw IOError("disk full");
                   },
                   /*depth=*/2),
               IOError);
  // Batches 0..3 consumed, at most depth more filled, and one more in hand.
  EXPECT_LE(made.load(), 3 + 1 + 2 + 1);
}

TEST(LexicalPathTest, ParentPathIsTheFolderHoldingAPath) {
  EXPECT_EQ(ParentPath("/a/b/c"), "/a/b");
  EXPECT_EQ(ParentPath("/c"), "/");
  EXPECT_EQ(ParentPath("rel/c"), "rel");
  EXPECT_EQ(ParentPath("c"), ".");
}

}  // namespace
}  // namespace datashard

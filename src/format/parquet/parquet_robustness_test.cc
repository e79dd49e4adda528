// Damaged files must fail cleanly: every truncation and many bit flips of a
// valid file either read (the damage hit slack bytes) or throw Corruption or
// NotSupported; never a crash, a hang or another exception. Run under ASan
// by the sanitizer build.
#include <random>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "format/parquet/memory_file.h"
#include "format/parquet/parquet_reader.h"
#include "format/parquet/parquet_writer.h"

namespace datashard::parquet {
namespace {

std::string ValidFile(Codec codec, bool dictionary) {
  const Schema s(0, {Field{1, "id", DataType::Long(), true, ""},
                     Field{2, "name", DataType::String(), false, ""},
                     Field{3, "price", DataType::Decimal(20, 2), false, ""},
                     Field{4, "ok", DataType::Boolean(), false, ""},
                     Field{5, "x", DataType::Double(), true, ""}});
  std::vector<ColumnVector> cols;
  for (const Field& f : s.fields()) cols.emplace_back(f.type);
  for (int64_t i = 0; i < 300; ++i) {
    cols[0].Append(Value(i * 1000003));
    cols[1].Append(i % 5 == 0 ? Value::Null() : Value("n" + std::to_string(i % 17)));
    cols[2].Append(i % 3 == 0 ? Value::Null() : Value::Decimal(i * 12345));
    cols[3].Append(i % 4 == 0 ? Value::Null() : Value(i % 2 == 0));
    cols[4].Append(Value(i / 7.0));
  }
  std::string bytes;
  WriterOptions o;
  o.codec = codec;
  o.dictionary = dictionary;
  o.page_size_bytes = 512;
  o.row_group_size_bytes = 3000;
  ParquetWriter w(std::make_unique<MemoryWriteFile>("v.parquet", &bytes), s, o);
  w.Write(cols);
  w.Finish();
  return bytes;
}

enum class Outcome { kRead, kCorruption, kNotSupported };

Outcome ReadEverything(const std::string& bytes) {
  try {
    auto r = ParquetReader::Open(std::make_unique<MemoryReadFile>("d.parquet", bytes));
    ReadOptions o;
    o.batch_size = 97;
    r->Start(o);
    std::vector<ColumnVector> batch;
    int64_t rows = 0;
    while (r->Next(&batch)) {
      rows += static_cast<int64_t>(batch[0].size());
      // A successful read never returns more rows than the footer declares.
      EXPECT_LE(rows, r->num_rows());
    }
    return Outcome::kRead;
  } catch (const Corruption&) {
    return Outcome::kCorruption;
  } catch (const NotSupported&) {
    return Outcome::kNotSupported;
  }
}

class ParquetRobustnessTest : public ::testing::TestWithParam<std::pair<Codec, bool>> {};

TEST_P(ParquetRobustnessTest, EveryTruncationFailsCleanly) {
  const std::string valid = ValidFile(GetParam().first, GetParam().second);
  ASSERT_EQ(ReadEverything(valid), Outcome::kRead);
  int corrupt = 0;
  for (size_t len = 0; len < valid.size(); ++len) {
    const Outcome o = ReadEverything(valid.substr(0, len));
    // Without the tail magic nothing can be read.
    EXPECT_NE(o, Outcome::kRead) << "truncated at " << len;
    corrupt += o == Outcome::kCorruption;
  }
  EXPECT_GT(corrupt, 0);
}

TEST_P(ParquetRobustnessTest, BitFlipsFailCleanly) {
  const std::string valid = ValidFile(GetParam().first, GetParam().second);
  std::mt19937_64 rng(1234);
  int failures = 0;
  for (size_t pos = 0; pos < valid.size(); ++pos) {
    std::string damaged = valid;
    damaged[pos] = static_cast<char>(damaged[pos] ^ (1 << (rng() % 8)));
    failures += ReadEverything(damaged) != Outcome::kRead;
  }
  // Random multi-byte damage, including length fields set to huge values.
  for (int i = 0; i < 2000; ++i) {
    std::string damaged = valid;
    const size_t pos = rng() % valid.size();
    for (size_t k = 0; k < 4 && pos + k < damaged.size(); ++k) {
      damaged[pos + k] = static_cast<char>(rng() % 3 == 0 ? 0xFF : rng());
    }
    failures += ReadEverything(damaged) != Outcome::kRead;
  }
  EXPECT_GT(failures, 0);
}

// Found by fuzz/parquet_reader_fuzz.cc: reading the footer of length 0
// copied into a null buffer (undefined behaviour under UBSan).
TEST(ParquetRobustnessEdgeTest, AnEmptyFooterIsCorruption) {
  EXPECT_EQ(ReadEverything(std::string("PAR1\0\0\0\0PAR1", 12)), Outcome::kCorruption);
}

// Issue 17 item 5: a footer claiming enormous counts or lengths is refused
// with Corruption before anything is allocated for them.
std::string WithFooter(const std::string& footer) {
  const uint32_t n = static_cast<uint32_t>(footer.size());
  return "PAR1" + footer + std::string(reinterpret_cast<const char*>(&n), 4) + "PAR1";
}

TEST(ParquetRobustnessEdgeTest, AFooterClaimingHugeCountsOrLengthsIsCorruption) {
  const auto error = [](const std::string& bytes) -> std::string {
    try {
      ParquetReader::Open(std::make_unique<MemoryReadFile>("h.parquet", bytes));
    } catch (const Corruption& e) {
      return e.what();
    }
    return "no error";
  };
  // row_groups (field 4): a list of 2^31 structs.
  EXPECT_NE(error(WithFooter("\x49\xfc\x80\x80\x80\x80\x08"))
                .find("list of 2147483648 elements exceeds the 0 bytes left"),
            std::string::npos);
  // created_by (field 6): a string of 2^40 bytes.
  EXPECT_NE(error(WithFooter("\x68\x80\x80\x80\x80\x80\x20"))
                .find("binary length 1099511627776 exceeds the 0 bytes left"),
            std::string::npos);
  // A footer length of 2^32 - 1 in a 12-byte file.
  EXPECT_NE(error(std::string("PAR1\xff\xff\xff\xffPAR1", 12)).find("footer length 4294967295"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Variants, ParquetRobustnessTest,
                         ::testing::Values(std::make_pair(Codec::kNone, true),
                                           std::make_pair(Codec::kNone, false),
                                           std::make_pair(Codec::kSnappy, true),
                                           std::make_pair(Codec::kGzip, true),
                                           std::make_pair(Codec::kZstd, false)));

}  // namespace
}  // namespace datashard::parquet

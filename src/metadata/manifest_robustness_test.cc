// Fuzz-style robustness of the manifest readers: truncations, bit flips and
// seeded random overwrites of valid manifests and manifest lists must read successfully or fail
// with Corruption (NotSupported where a flip names an unknown codec or a recursive schema), never
// crash, hang or throw anything else. Runs under ASan with the unit tests.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <random>

#include "datashard/errors.h"
#include "format/avro/avro_file.h"
#include "io/temp_dir.h"
#include "metadata/manifest.h"
#include "util/uuid.h"

namespace datashard {
namespace {

// Serves the latest mutant from memory, so thousands of them cost no file
// system calls; every other operation is unused here and refused.
class OneFileIO final : public FileIO {
 public:
  void Put(std::string path, std::string bytes) {
    path_ = std::move(path);
    bytes_ = std::move(bytes);
  }

  std::unique_ptr<RandomAccessFile> OpenRead(const std::string& path) override {
    if (path != path_) throw NotFound(path);
    return std::make_unique<MemoryFile>(path, bytes_);
  }
  std::unique_ptr<WritableFile> Create(const std::string& p) override { Refuse(p); }
  bool LinkIfAbsent(const std::string&, const std::string& p) override { Refuse(p); }
  void Rename(const std::string&, const std::string& p) override { Refuse(p); }
  void SyncDir(const std::string& p) override { Refuse(p); }
  void Delete(const std::string& p) override { Refuse(p); }
  bool Exists(const std::string& p) override { return p == path_; }
  FileInfo Stat(const std::string& p) override { Refuse(p); }
  std::vector<FileInfo> List(const std::string& p) override { Refuse(p); }
  void CreateDirs(const std::string& p) override { Refuse(p); }
  std::unique_ptr<FileLock> Lock(const std::string& p, bool) override { Refuse(p); }
  std::unique_ptr<UpdatableFile> OpenForUpdate(const std::string& p) override { Refuse(p); }
  std::unique_ptr<SharedMemory> MapShared(const std::string& p, size_t) override { Refuse(p); }
  bool IsNetworkFilesystem(const std::string&) override { return false; }
  std::string BootId() override { return "one-file-io"; }
  std::string AbsolutePath(const std::string& p) override { return p; }

 private:
  class MemoryFile final : public RandomAccessFile {
   public:
    MemoryFile(const std::string& path, const std::string& bytes)
        : RandomAccessFile(path), bytes_(bytes) {}
    uint64_t Size() const override { return bytes_.size(); }
    void ReadAt(uint64_t offset, size_t n, char* buf) const override {
      if (offset > bytes_.size() || n > bytes_.size() - offset) throw IOError("short read");
      if (n != 0) std::memcpy(buf, bytes_.data() + offset, n);  // buf may be null then
    }

   private:
    const std::string& bytes_;
  };

  [[noreturn]] static void Refuse(const std::string& path) {
    throw IOError("OneFileIO serves reads only: " + path);
  }

  std::string path_;
  std::string bytes_;
};

class ManifestRobustnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ManifestContext context;
    context.schema_json = R"({"type":"struct","schema-id":0,"fields":[]})";
    context.partition_spec_json =
        R"([{"name":"p","transform":"identity","source-id":1,"field-id":1000}])";
    context.partition_fields = {{1000, "p", DataType::String()},
                                {1001, "d", DataType::Decimal(9, 2)},
                                {1002, "u", DataType::Uuid()},
                                {1003, "day", DataType::Date()}};
    std::vector<ManifestEntry> entries(3);
    for (size_t i = 0; i < entries.size(); ++i) {
      DataFile& f = entries[i].data_file;
      f.file_path = "/t/data/" + std::to_string(i) + ".parquet";
      f.partition = {Value("p" + std::to_string(i)), Value::Decimal(1420 * static_cast<int>(i)),
                     Value(Uuid::Parse("f79c3e09-677c-4bbd-a479-3f349cb785e7").ToBytes()),
                     i == 1 ? Value::Null() : Value(static_cast<int32_t>(i))};
      f.record_count = 10 + static_cast<int64_t>(i);
      f.file_size_in_bytes = 1000;
      f.column_sizes = {{1, 5}, {2, 6}};
      f.null_value_counts = {{1, 0}};
      f.lower_bounds = {{1, "a"}};
      f.upper_bounds = {{1, "z"}};
      f.split_offsets = {4};
    }
    entries[2].status = EntryStatus::kExisting;
    entries[2].snapshot_id = 3;
    entries[2].sequence_number = 1;
    entries[2].file_sequence_number = 1;
    manifest_ = WriteManifest(*io_, dir_.Join("m.avro"), context, 9, entries);
    manifest_.sequence_number = 2;
    WriteManifestList(*io_, dir_.Join("l.avro"), 9, 8, 2, {manifest_, manifest_});
    deflated_manifest_ = io_->ReadFile(dir_.Join("m.avro"));
    list_ = io_->ReadFile(dir_.Join("l.avro"));
    // The same manifest without compression, so that flips reach the decoder.
    AvroFileReader reader(deflated_manifest_, "m.avro");
    std::vector<std::pair<std::string, std::string>> meta;
    for (const auto& [k, v] : reader.metadata()) {
      if (k.rfind("avro.", 0) != 0) meta.emplace_back(k, v);
    }
    AvroFileWriter writer(reader.schema(), AvroCodec::kNull, meta);
    AvroValue v;
    while (reader.Next(&v)) writer.Append(v);
    plain_manifest_ = writer.Finish();
  }

  // Reads `bytes` with `read`; returns false on an unexpected exception.
  bool Survives(const std::string& bytes, const std::function<void(const std::string&)>& read,
                const std::string& what) {
    const std::string path = "mutant-" + std::to_string(counter_++) + ".avro";
    mutants_.Put(path, bytes);
    bool ok = true;
    try {
      read(path);
      ++read_ok_;
    } catch (const Corruption& e) {
      ++corrupt_;
      if (std::string(e.what()).find(path) == std::string::npos) {
        ADD_FAILURE() << what << ": message does not name the file: " << e.what();
        ok = false;
      }
    } catch (const NotSupported&) {
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": unexpected " << typeid(e).name() << ": " << e.what();
      ok = false;
    }
    return ok;
  }

  // `with_context`: also read the header through ReadManifestContext (only
  // worth it when the damage may lie in the header).
  void ReadManifestAt(const std::string& path, bool with_context) {
    ManifestFile m = manifest_;
    m.manifest_path = path;
    if (with_context) ReadManifestContext(mutants_, path);
    ReadManifest(mutants_, m);
  }

  void ReadListAt(const std::string& path, bool) { ReadManifestList(mutants_, path); }

  // A cut and a bit flip at every byte of the blocks and at every 16th byte
  // of the (schema JSON dominated) header, then seeded random overwrites.
  void Mutate(const std::string& original, size_t header_size,
              const std::function<void(const std::string&, bool)>& read) {
    int failures = 0;
    auto step = [&](size_t i) { return i < header_size ? 16 : 1; };
    for (size_t n = 0; n < original.size() && failures < 5; n += step(n)) {
      failures += !Survives(
          original.substr(0, n), [&](const std::string& p) { read(p, n < header_size); },
          "truncated to " + std::to_string(n));
    }
    for (size_t i = 0; i < original.size() && failures < 5; i += step(i)) {
      std::string flipped = original;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << (i % 8)));
      failures += !Survives(
          flipped, [&](const std::string& p) { read(p, i < header_size); },
          "bit flip at " + std::to_string(i));
    }
    std::mt19937 rng(20240601);
    for (int round = 0; round < 300 && failures < 5; ++round) {
      std::string mutant = original;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < edits; ++k) {
        mutant[rng() % mutant.size()] = static_cast<char>(rng() % 256);
      }
      failures += !Survives(
          mutant, [&](const std::string& p) { read(p, true); },
          "random round " + std::to_string(round));
    }
    EXPECT_EQ(failures, 0);
    // Both outcomes occur: damage to payload bytes (paths, bounds) still
    // reads, damage to structure is detected.
    EXPECT_GT(read_ok_, 0);
    EXPECT_GT(corrupt_, 0);
  }

  // Size of the header of `file`: what a writer emits before any block.
  static size_t HeaderSize(const std::string& file) {
    AvroFileReader reader(file, "original.avro");
    std::vector<std::pair<std::string, std::string>> meta;
    for (const auto& [k, v] : reader.metadata()) {
      if (k.rfind("avro.", 0) != 0) meta.emplace_back(k, v);
    }
    return AvroFileWriter(reader.schema(), reader.codec(), meta).Finish().size();
  }

  TempDir dir_{"manifest-robustness"};
  std::shared_ptr<FileIO> io_ = NewPosixFileIO();
  OneFileIO mutants_;
  ManifestFile manifest_;
  std::string deflated_manifest_, plain_manifest_, list_;
  int counter_ = 0;
  int read_ok_ = 0;
  int corrupt_ = 0;
};

TEST_F(ManifestRobustnessTest, OriginalsReadBack) {
  io_->WriteFile(dir_.Join("plain.avro"), plain_manifest_);
  ManifestFile m = manifest_;
  m.manifest_path = dir_.Join("plain.avro");
  EXPECT_EQ(ReadManifest(*io_, m).size(), 3u);
  EXPECT_EQ(ReadManifest(*io_, manifest_).size(), 3u);
  EXPECT_EQ(ReadManifestList(*io_, dir_.Join("l.avro")).size(), 2u);
}

TEST_F(ManifestRobustnessTest, DeflatedManifestMutations) {
  Mutate(deflated_manifest_, HeaderSize(deflated_manifest_),
         [this](const std::string& p, bool header) { ReadManifestAt(p, header); });
}

TEST_F(ManifestRobustnessTest, UncompressedManifestMutations) {
  Mutate(plain_manifest_, HeaderSize(plain_manifest_),
         [this](const std::string& p, bool header) { ReadManifestAt(p, header); });
}

TEST_F(ManifestRobustnessTest, ManifestListMutations) {
  Mutate(list_, HeaderSize(list_),
         [this](const std::string& p, bool header) { ReadListAt(p, header); });
}

}  // namespace
}  // namespace datashard

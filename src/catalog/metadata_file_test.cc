#include "catalog/metadata_file.h"

#include <cstdio>

#include <gtest/gtest.h>

#include "catalog/gzip_test_util.h"
#include "datashard/errors.h"
#include "io/temp_dir.h"

namespace datashard {
namespace {

using testing::Gzip;

constexpr const char* kUuid = "4b2f6c1e-8a0d-4c53-9e2b-1f0a7d3c5e69";
constexpr const char* kOtherUuid = "0f3a9c2d-5b1e-4d7a-8c6f-2e9b4a1d7c30";

std::string Name(int sequence, const char* uuid, const char* suffix = ".metadata.json") {
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%05d-", sequence);
  return prefix + std::string(uuid) + suffix;
}

TEST(MetadataFileTest, NamesOfBothLayoutsAndTheirVersions) {
  EXPECT_EQ(CatalogMetadataSequence(Name(3, kUuid)), 3);
  EXPECT_EQ(CatalogMetadataSequence(Name(12, kUuid, ".gz.metadata.json")), 12);
  EXPECT_EQ(CatalogMetadataSequence(Name(0, kUuid, ".metadata.json.gz")), 0);
  EXPECT_EQ(CatalogMetadataSequence("v3.metadata.json"), std::nullopt);
  EXPECT_EQ(CatalogMetadataSequence("00003-not-a-uuid.metadata.json"), std::nullopt);
  EXPECT_EQ(CatalogMetadataSequence("x0003-" + std::string(kUuid) + ".metadata.json"),
            std::nullopt);
  EXPECT_EQ(CatalogMetadataSequence(Name(3, kUuid, ".json")), std::nullopt);

  EXPECT_EQ(MetadataFileVersion("v17.metadata.json"), 17);
  EXPECT_EQ(MetadataFileVersion("v2.gz.metadata.json"), 2);
  EXPECT_EQ(MetadataFileVersion(Name(42, kUuid)), 42);
  EXPECT_EQ(MetadataFileVersion("current.metadata.json"), std::nullopt);

  EXPECT_TRUE(IsMetadataFileName("current.metadata.json"));
  EXPECT_TRUE(IsMetadataFileName(Name(1, kUuid, ".metadata.json.gz")));
  EXPECT_FALSE(IsMetadataFileName("snap-1-" + std::string(kUuid) + ".avro"));
  EXPECT_FALSE(IsMetadataFileName("version-hint.text"));
}

TEST(MetadataFileTest, ReadsPlainAndGzipFilesByContentNotName) {
  TempDir dir;
  auto io = DefaultFileIO();
  const std::string json = "{\"format-version\":2,\"location\":\"" + std::string(200, 'x') + "\"}";
  io->WriteFile(dir.Join("a.metadata.json"), json);
  io->WriteFile(dir.Join("b.gz.metadata.json"), Gzip(json));
  // Concatenated members decode as one text.
  io->WriteFile(dir.Join("c.metadata.json.gz"), Gzip(json.substr(0, 50)) + Gzip(json.substr(50)));
  EXPECT_EQ(ReadMetadataFile(*io, dir.Join("a.metadata.json")), json);
  EXPECT_EQ(ReadMetadataFile(*io, dir.Join("b.gz.metadata.json")), json);
  EXPECT_EQ(ReadMetadataFile(*io, dir.Join("c.metadata.json.gz")), json);
  EXPECT_THROW(ReadMetadataFile(*io, dir.Join("missing.metadata.json")), NotFound);
}

TEST(MetadataFileTest, BrokenGzipIsCorruptionNamingTheFile) {
  TempDir dir;
  auto io = DefaultFileIO();
  const std::string gz = Gzip(std::string(10000, '{'));
  io->WriteFile(dir.Join("truncated.gz.metadata.json"), gz.substr(0, gz.size() / 2));
  std::string garbled = gz;
  garbled[12] = static_cast<char>(garbled[12] ^ 0x5a);
  garbled[13] = static_cast<char>(garbled[13] ^ 0xa5);
  io->WriteFile(dir.Join("garbled.gz.metadata.json"), garbled);
  for (const char* name : {"truncated.gz.metadata.json", "garbled.gz.metadata.json"}) {
    try {
      ReadMetadataFile(*io, dir.Join(name));
      ADD_FAILURE() << name << " decoded";
    } catch (const Corruption& e) {
      EXPECT_NE(std::string(e.what()).find(dir.Join(name)), std::string::npos) << e.what();
    }
  }
}

TEST(MetadataFileTest, GuessPicksTheOnlyHighestSequenceAndRefusesATie) {
  TempDir dir;
  auto io = DefaultFileIO();
  const std::string meta = dir.Join("metadata");
  EXPECT_EQ(GuessCatalogMetadataFile(*io, meta), std::nullopt);  // no folder
  io->CreateDirs(meta);
  io->WriteFile(meta + "/version-hint.text", "9");
  io->WriteFile(meta + "/snap-1-" + std::string(kUuid) + ".avro", "");
  EXPECT_EQ(GuessCatalogMetadataFile(*io, meta), std::nullopt);  // no metadata file

  io->WriteFile(meta + "/" + Name(1, kUuid), "{}");
  io->WriteFile(meta + "/" + Name(2, kOtherUuid, ".gz.metadata.json"), "{}");
  io->WriteFile(meta + "/" + Name(10, kUuid), "{}");
  EXPECT_EQ(GuessCatalogMetadataFile(*io, meta), meta + "/" + Name(10, kUuid));

  io->WriteFile(meta + "/" + Name(10, kOtherUuid), "{}");
  try {
    GuessCatalogMetadataFile(*io, meta);
    ADD_FAILURE() << "a tie was guessed";
  } catch (const NotFound& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(Name(10, kUuid)), std::string::npos) << what;
    EXPECT_NE(what.find(Name(10, kOtherUuid)), std::string::npos) << what;
    EXPECT_NE(what.find("pass the path of that metadata file"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace datashard

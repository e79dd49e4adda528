// `datashard parquet cat|schema|write` (DESIGN.md §11): one Parquet file to
// and from JSON Lines, for scripts and for checking files other engines wrote.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "datashard/errors.h"
#include "datashard/file_io.h"
#include "format/json/json_lines_reader.h"
#include "format/json/value_json.h"
#include "format/parquet/parquet_reader.h"
#include "format/parquet/parquet_writer.h"
#include "util/batch_pipeline.h"
#include "util/uuid.h"

namespace datashard::cli {
namespace {

constexpr size_t kWriteBatchRows = 64 * 1024;
constexpr size_t kOutputFlushBytes = 1 << 20;

struct ParquetArgs {
  std::string file;
  std::string format = "jsonl";
  bool json = false;
  std::string schema;
  std::string codec = "zstd";
  int64_t row_group_size = 128ll << 20;
  int64_t page_size = 1 << 20;
  bool no_dictionary = false;
};

std::unique_ptr<parquet::ParquetReader> OpenParquet(const std::string& path) {
  return parquet::ParquetReader::Open(DefaultFileIO()->OpenRead(path));
}

void WriteOut(const std::string& s) {
  if (std::fwrite(s.data(), 1, s.size(), stdout) != s.size()) {
    throw IOError("writing to standard output failed");
  }
}

void Cat(const ParquetArgs& args) {
  auto reader = OpenParquet(args.file);
  const auto& columns = reader->columns();
  // "name": prefixes, computed once.
  std::vector<std::string> keys;
  for (size_t c = 0; c < columns.size(); ++c) {
    keys.push_back((c == 0 ? "{" : ",") + nlohmann::json(columns[c].name).dump() + ":");
  }
  reader->Start(parquet::ReadOptions{});
  std::vector<ColumnVector> batch;
  std::string out;
  while (reader->Next(&batch)) {
    const size_t n = batch.empty() ? 0 : batch[0].size();
    for (size_t i = 0; i < n; ++i) {
      for (size_t c = 0; c < batch.size(); ++c) {
        out += keys[c];
        AppendValueJson(batch[c].Get(i), columns[c].type, &out);
      }
      out += columns.empty() ? "{}\n" : "}\n";
      if (out.size() >= kOutputFlushBytes) {
        WriteOut(out);
        out.clear();
      }
    }
  }
  WriteOut(out);
  if (std::fflush(stdout) != 0) throw IOError("writing to standard output failed");
}

void PrintSchema(const ParquetArgs& args) {
  auto reader = OpenParquet(args.file);
  const auto& columns = reader->columns();
  if (args.json) {
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& c : columns) {
      nlohmann::json f = nlohmann::json::object();
      if (c.field_id) f["id"] = *c.field_id;
      f["name"] = c.name;
      f["type"] = c.type.ToString();
      f["required"] = c.required;
      fields.push_back(std::move(f));
    }
    std::cout << fields.dump() << "\n";
    return;
  }
  std::cout << "rows: " << reader->num_rows() << ", row groups: " << reader->row_groups().size()
            << ", created by: " << reader->created_by() << "\n";
  for (const auto& c : columns) {
    std::cout << (c.field_id ? std::to_string(*c.field_id) : std::string("-")) << " " << c.name
              << ": " << c.type.ToString() << (c.required ? " required" : " optional") << "\n";
  }
}

Schema ParseSchemaArgument(const std::string& text) {
  std::string json = text;
  if (!text.empty() && text[0] == '@') json = DefaultFileIO()->ReadFile(text.substr(1));
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded()) throw InvalidArgument("--schema is not valid JSON: " + text);
  return SchemaFromJson(j);
}

// Writes to a uniquely named temporary file and publishes it under the
// target name only when every row was valid, so bad input leaves nothing.
void Write(const ParquetArgs& args) {
  const Schema schema = ParseSchemaArgument(args.schema);
  parquet::WriterOptions options;
  options.codec = parquet::ParseCodec(args.codec);
  options.row_group_size_bytes = args.row_group_size;
  options.page_size_bytes = args.page_size;
  options.dictionary = !args.no_dictionary;
  auto io = DefaultFileIO();
  if (io->Exists(args.file)) throw AlreadyExists(args.file + " already exists");
  const std::string tmp = args.file + ".tmp-" + Uuid::Random().ToString();
  int64_t rows = 0;
  size_t row_groups = 0;
  int64_t bytes = 0;
  try {
    parquet::ParquetWriter writer(io->Create(tmp), schema, options);
    JsonLinesReader rows_in(schema, [](char* buf, size_t n) {
      const size_t got = std::fread(buf, 1, n, stdin);
      if (got < n && std::ferror(stdin)) throw IOError("reading standard input failed");
      return got;
    });
    // Parsing the next rows overlaps encoding and compressing these.
    PipelineBatches<std::vector<ColumnVector>>(
        [&](std::vector<ColumnVector>* batch) { return rows_in.ReadBatch(kWriteBatchRows, batch); },
        [&](std::vector<ColumnVector>& batch) { writer.Write(batch); });
    const parquet::WriteResult result = writer.Finish();
    rows = result.record_count;
    row_groups = result.row_group_offsets.size();
    bytes = result.file_size;
    if (!io->LinkIfAbsent(tmp, args.file)) throw AlreadyExists(args.file + " already exists");
  } catch (...) {
    try {
      if (io->Exists(tmp)) io->Delete(tmp);
    } catch (const Error&) {
      // The original error matters more than a leftover temporary file.
    }
    throw;
  }
  io->Delete(tmp);
  const size_t slash = args.file.find_last_of('/');
  io->SyncDir(slash == std::string::npos ? "." : (slash == 0 ? "/" : args.file.substr(0, slash)));
  std::cout << "wrote " << rows << (rows == 1 ? " row" : " rows") << " in " << row_groups
            << (row_groups == 1 ? " row group, " : " row groups, ") << bytes << " bytes, to "
            << args.file << "\n";
}

}  // namespace

void AddParquetCommands(CLI::App& app) {
  auto args = std::make_shared<ParquetArgs>();
  CLI::App* parquet = app.add_subcommand("parquet", "Read and write single Parquet files");
  parquet->require_subcommand(1);

  CLI::App* cat = parquet->add_subcommand("cat", "Print every row of FILE as JSON Lines");
  cat->add_option("FILE", args->file, "Parquet file")->required();
  cat->add_option("--format", args->format, "Output format (jsonl)")
      ->check(CLI::IsMember({"jsonl"}));
  cat->callback([args] { Cat(*args); });

  CLI::App* schema = parquet->add_subcommand("schema", "Print the columns of FILE");
  schema->add_option("FILE", args->file, "Parquet file")->required();
  schema->add_flag("--json", args->json,
                   "Print the field list [{\"id\":1,\"name\":...,\"type\":...,\"required\":...}]");
  schema->callback([args] { PrintSchema(*args); });

  CLI::App* write = parquet->add_subcommand(
      "write", "Write JSON Lines rows from standard input to a new Parquet file FILE");
  write->add_option("FILE", args->file, "Parquet file to create (must not exist)")->required();
  write
      ->add_option("--schema", args->schema,
                   "Field list, inline JSON or @file: "
                   "[{\"id\":1,\"name\":\"record_id\",\"type\":\"long\",\"required\":true}, ...]")
      ->required();
  write->add_option("--codec", args->codec, "Page compression (default zstd)")
      ->check(CLI::IsMember({"zstd", "snappy", "gzip", "none"}));
  write
      ->add_option("--row-group-size", args->row_group_size,
                   "Close a row group past this many uncompressed bytes (default 128 MiB)")
      ->check(CLI::PositiveNumber);
  write
      ->add_option("--page-size", args->page_size, "Target data page size in bytes (default 1 MiB)")
      ->check(CLI::PositiveNumber);
  write->add_flag("--no-dictionary", args->no_dictionary, "PLAIN encoding only");
  write->callback([args] { Write(*args); });
}

}  // namespace datashard::cli

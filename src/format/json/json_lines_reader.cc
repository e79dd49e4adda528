#include "format/json/json_lines_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "datashard/errors.h"
#include "format/json/value_json.h"

namespace datashard {
namespace {

constexpr size_t kBlock = 1 << 20;
constexpr size_t kPadding = simdjson::SIMDJSON_PADDING;
constexpr size_t kReserveRows = 64 * 1024;

bool Blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

// One value of the row being parsed, kept until every field of the line
// parsed, so that a line handed to the slow path leaves no trace.
struct Cell {
  enum class State : uint8_t { kAbsent, kNull, kInt, kDouble, kBool, kString, kValue };
  State state = State::kAbsent;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string_view s;  // into the parser's string buffer, valid for the line
  Value v;             // types without a fast path
};

}  // namespace

class JsonLinesReader::Parser {
 public:
  explicit Parser(const Schema& schema) : schema_(schema), cells_(schema.fields().size()) {
    for (size_t c = 0; c < schema.fields().size(); ++c) {
      index_.emplace(std::string_view(schema.fields()[c].name), static_cast<int>(c));
    }
  }

  // Parses `line` (readable padding after it) into the cells; false when
  // the slow path must decide.
  bool Parse(std::string_view line) {
    for (Cell& c : cells_) c.state = Cell::State::kAbsent;
    simdjson::dom::element doc;
    if (parser_.parse(line.data(), line.size(), false).get(doc)) return false;
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) return false;
    const auto& fields = schema_.fields();
    size_t expected = 0;  // rows usually list the columns in schema order
    for (const simdjson::dom::key_value_pair kv : obj) {
      int c = -1;
      if (expected < fields.size() && fields[expected].name == kv.key) {
        c = static_cast<int>(expected);
      } else {
        const auto it = index_.find(kv.key);
        if (it == index_.end()) return false;
        c = it->second;
      }
      expected = static_cast<size_t>(c) + 1;
      Cell& cell = cells_[static_cast<size_t>(c)];
      if (cell.state != Cell::State::kAbsent) return false;  // a repeated key
      if (!Stage(fields[static_cast<size_t>(c)], kv.value, &cell)) return false;
    }
    for (size_t c = 0; c < fields.size(); ++c) {
      const Cell::State s = cells_[c].state;
      if (fields[c].required && (s == Cell::State::kAbsent || s == Cell::State::kNull)) {
        return false;
      }
    }
    return true;
  }

  // Appends the parsed row to the columns' typed storage.
  void Commit(std::vector<ColumnVector>* columns) const {
    for (size_t c = 0; c < cells_.size(); ++c) {
      const Cell& cell = cells_[c];
      ColumnVector& col = (*columns)[c];
      switch (cell.state) {
        case Cell::State::kAbsent:
        case Cell::State::kNull:
          col.AppendNull();
          continue;
        case Cell::State::kValue:
          col.Append(cell.v);
          continue;
        default:
          break;
      }
      col.validity().push_back(1);
      switch (col.type().id) {
        case TypeId::kBoolean:
          col.bools.push_back(cell.b ? 1 : 0);
          break;
        case TypeId::kInt:
          col.ints.push_back(static_cast<int32_t>(cell.i));
          break;
        case TypeId::kLong:
          col.longs.push_back(cell.i);
          break;
        case TypeId::kFloat:
          col.floats.push_back(static_cast<float>(cell.d));
          break;
        case TypeId::kDouble:
          col.doubles.push_back(cell.d);
          break;
        default:  // string
          col.bytes.emplace_back(cell.s);
          break;
      }
    }
  }

 private:
  // The value of one field, by the column type; false for anything
  // RecordFromJsonLine should judge.
  static bool Stage(const Field& f, simdjson::dom::element v, Cell* cell) {
    using simdjson::dom::element_type;
    const element_type t = v.type();
    if (t == element_type::NULL_VALUE) {
      cell->state = Cell::State::kNull;
      return true;
    }
    switch (f.type.id) {
      case TypeId::kBoolean:
        if (t != element_type::BOOL) return false;
        cell->b = v.get_bool().value_unsafe();
        cell->state = Cell::State::kBool;
        return true;
      case TypeId::kInt:
      case TypeId::kLong: {
        if (t != element_type::INT64) return false;
        const int64_t i = v.get_int64().value_unsafe();
        if (f.type.id == TypeId::kInt && (i < INT32_MIN || i > INT32_MAX)) return false;
        cell->i = i;
        cell->state = Cell::State::kInt;
        return true;
      }
      case TypeId::kFloat:
      case TypeId::kDouble: {
        double d = 0;
        if (t == element_type::INT64) {
          d = static_cast<double>(v.get_int64().value_unsafe());
        } else if (t == element_type::UINT64) {
          d = static_cast<double>(v.get_uint64().value_unsafe());
        } else if (t == element_type::DOUBLE) {
          d = v.get_double().value_unsafe();
        } else {
          return false;  // "NaN" and friends take the slow path
        }
        if (f.type.id == TypeId::kFloat && std::isinf(static_cast<float>(d)) && !std::isinf(d)) {
          return false;
        }
        cell->d = d;
        cell->state = Cell::State::kDouble;
        return true;
      }
      case TypeId::kString:
        if (t != element_type::STRING) return false;
        cell->s = v.get_string().value_unsafe();
        cell->state = Cell::State::kString;
        return true;
      default:
        return StageValue(f, v, t, cell);
    }
  }

  // Other types go through ValueFromJson with the JSON value nlohmann would
  // have parsed (non-negative integers are unsigned there).
  static bool StageValue(const Field& f, simdjson::dom::element v, simdjson::dom::element_type t,
                         Cell* cell) {
    using simdjson::dom::element_type;
    nlohmann::json j;
    switch (t) {
      case element_type::BOOL:
        j = v.get_bool().value_unsafe();
        break;
      case element_type::INT64: {
        const int64_t i = v.get_int64().value_unsafe();
        if (i >= 0) {
          j = static_cast<uint64_t>(i);
        } else {
          j = i;
        }
        break;
      }
      case element_type::UINT64:
        j = v.get_uint64().value_unsafe();
        break;
      case element_type::DOUBLE:
        j = v.get_double().value_unsafe();
        break;
      case element_type::STRING:
        j = std::string(v.get_string().value_unsafe());
        break;
      default:
        return false;
    }
    try {
      cell->v = ValueFromJson(j, f.type);
    } catch (const InvalidArgument&) {
      return false;
    }
    cell->state = Cell::State::kValue;
    return true;
  }

  const Schema& schema_;
  simdjson::dom::parser parser_;
  std::unordered_map<std::string_view, int> index_;
  std::vector<Cell> cells_;
};

JsonLinesReader::JsonLinesReader(Schema schema, ReadFn read)
    : schema_(std::move(schema)),
      read_(std::move(read)),
      parser_(std::make_unique<Parser>(schema_)) {
  buf_.assign(kBlock + kPadding, '\0');
}

JsonLinesReader::~JsonLinesReader() = default;

JsonLinesReader::ReadFn JsonLinesReader::FromText(std::string_view text) {
  return [text, pos = size_t{0}](char* buf, size_t n) mutable {
    const size_t k = std::min(n, text.size() - pos);
    std::memcpy(buf, text.data() + pos, k);
    pos += k;
    return k;
  };
}

bool JsonLinesReader::NextLine(std::string_view* line) {
  for (;;) {
    const char* begin = buf_.data() + pos_;
    const void* nl = std::memchr(begin, '\n', end_ - pos_);
    if (nl != nullptr || (eof_ && pos_ < end_)) {
      const size_t len =
          nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) - begin) : end_ - pos_;
      *line = std::string_view(begin, len);
      if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
      pos_ += nl != nullptr ? len + 1 : len;
      return true;
    }
    if (eof_) return false;
    // Keep the partial line, then read more after it (growing the buffer
    // for a line longer than a block).
    std::memmove(buf_.data(), begin, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
    if (buf_.size() - kPadding - end_ < kBlock / 2) buf_.resize(buf_.size() + kBlock);
    const size_t got = read_(buf_.data() + end_, buf_.size() - kPadding - end_);
    if (got == 0) eof_ = true;
    end_ += got;
  }
}

void JsonLinesReader::AppendLine(std::string_view line, std::vector<ColumnVector>* columns) {
  if (parser_->Parse(line)) {
    parser_->Commit(columns);
    return;
  }
  const Record record = RecordFromJsonLine(line, schema_, line_number_);
  for (size_t c = 0; c < record.size(); ++c) (*columns)[c].Append(record[c]);
}

bool JsonLinesReader::ReadBatch(size_t max_rows, std::vector<ColumnVector>* columns) {
  columns->clear();
  for (const Field& f : schema_.fields()) {
    columns->emplace_back(f.type);
    columns->back().Reserve(std::min<size_t>(max_rows, kReserveRows));
  }
  size_t rows = 0;
  std::string_view line;
  while (rows < max_rows && NextLine(&line)) {
    ++line_number_;
    if (Blank(line)) continue;
    AppendLine(line, columns);
    ++rows;
  }
  return rows > 0;
}

}  // namespace datashard

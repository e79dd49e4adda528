#include "format/json/value_json.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "datashard/errors.h"
#include "format/json/json_excerpt.h"
#include "util/uuid.h"

namespace datashard {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

// Short text of a JSON value for error messages.
std::string Show(const nlohmann::json& j) { return JsonExcerpt(j); }

std::string ShowText(std::string_view text) {
  std::string s(text.substr(0, 80));
  if (text.size() > 80) s += "...";
  return "'" + s + "'";
}

[[noreturn]] void BadValue(const nlohmann::json& j, const DataType& type, const std::string& why) {
  throw InvalidArgument("value " + Show(j) + " is not a valid " + type.ToString() + ": " + why);
}

[[noreturn]] void BadText(std::string_view what, std::string_view text, const std::string& why) {
  throw InvalidArgument("invalid " + std::string(what) + " " + ShowText(text) + ": " + why);
}

// A cursor over text that parses fixed-width decimal fields.
class TextCursor {
 public:
  explicit TextCursor(std::string_view s) : s_(s) {}
  bool done() const { return pos_ == s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }
  bool Eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  // Exactly n digits; false if fewer are present.
  bool Digits(int n, int64_t* out) {
    int64_t v = 0;
    for (int i = 0; i < n; ++i) {
      if (done() || s_[pos_] < '0' || s_[pos_] > '9') return false;
      v = v * 10 + (s_[pos_++] - '0');
    }
    *out = v;
    return true;
  }
  // Between min and max digits, as many as present.
  int DigitRun(int max, int64_t* out) {
    int n = 0;
    int64_t v = 0;
    while (n < max && !done() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      v = v * 10 + (s_[pos_++] - '0');
      ++n;
    }
    *out = v;
    return n;
  }
  bool AtDigit() const { return !done() && s_[pos_] >= '0' && s_[pos_] <= '9'; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Parses [+-]YYYY[Y..]-MM-DD at the cursor into days since the epoch.
bool ParseDatePart(TextCursor* c, int64_t* days) {
  bool negative = false;
  if (c->Eat('-')) {
    negative = true;
  } else {
    c->Eat('+');
  }
  int64_t year = 0, month = 0, day = 0;
  const int n = c->DigitRun(6, &year);
  if (n < 4) return false;
  if (negative) year = -year;
  if (!c->Eat('-') || !c->Digits(2, &month) || !c->Eat('-') || !c->Digits(2, &day)) return false;
  if (month < 1 || month > 12) return false;
  if (day < 1 || day > DaysInMonth(year, static_cast<unsigned>(month))) return false;
  *days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return true;
}

// Parses HH:MM[:SS[.fraction]] at the cursor into microseconds of the day.
// Fraction digits beyond microseconds must be zero (no silent rounding).
bool ParseTimePart(TextCursor* c, int64_t* micros) {
  int64_t h = 0, m = 0, s = 0, frac = 0;
  if (!c->Digits(2, &h) || !c->Eat(':') || !c->Digits(2, &m)) return false;
  if (c->Eat(':')) {
    if (!c->Digits(2, &s)) return false;
    if (c->Eat('.')) {
      int64_t digits = 0;
      const int n = c->DigitRun(6, &digits);
      if (n == 0) return false;
      frac = digits;
      for (int i = n; i < 6; ++i) frac *= 10;
      int64_t extra = 0;
      const int more = c->DigitRun(3, &extra);
      if (more > 0 && extra != 0) return false;
    }
  }
  if (h > 23 || m > 59 || s > 59) return false;
  *micros = ((h * 60 + m) * 60 + s) * kMicrosPerSecond + frac;
  return true;
}

void AppendTwo(std::string* out, int64_t v) {
  out->push_back(static_cast<char>('0' + v / 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

void AppendDate(std::string* out, int64_t days) {
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  if (y >= 0 && y <= 9999) {
    std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(y));
  } else {
    std::snprintf(buf, sizeof buf, "%+05lld", static_cast<long long>(y));
  }
  out->append(buf);
  out->push_back('-');
  AppendTwo(out, m);
  out->push_back('-');
  AppendTwo(out, d);
}

void AppendTime(std::string* out, int64_t micros) {
  const int64_t secs = micros / kMicrosPerSecond;
  const int64_t frac = micros % kMicrosPerSecond;
  AppendTwo(out, secs / 3600);
  out->push_back(':');
  AppendTwo(out, secs / 60 % 60);
  out->push_back(':');
  AppendTwo(out, secs % 60);
  out->push_back('.');
  char buf[8];
  std::snprintf(buf, sizeof buf, "%06lld", static_cast<long long>(frac));
  out->append(buf);
}

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

void AppendTimestamp(std::string* out, int64_t micros, bool with_zone) {
  const int64_t days = FloorDiv(micros, kMicrosPerDay);
  AppendDate(out, days);
  out->push_back('T');
  AppendTime(out, micros - days * kMicrosPerDay);
  if (with_zone) out->append("+00:00");
}

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Index(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Shortest text that reads back as the same float; always looks like a
// JSON floating-point number ("-0.0", "1.0", "1e+20").
// Appends the shortest round-trip text of a finite number, with ".0" when it
// would otherwise read as an integer.
template <typename F>
void AppendFloating(F f, std::string* out) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, f);
  out->append(buf, r.ptr);
  if (std::find_if(buf, r.ptr, [](char c) { return c == '.' || c == 'e'; }) == r.ptr) {
    out->append(".0");
  }
}

std::string FloatText(float f) {
  std::string s;
  AppendFloating(f, &s);
  return s;
}

// Parses the string spellings of non-finite numbers; false for anything else.
bool NonFinite(const std::string& s, double* out) {
  std::string l;
  for (char c : s) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (l == "nan") {
    *out = std::numeric_limits<double>::quiet_NaN();
  } else if (l == "infinity" || l == "+infinity" || l == "inf" || l == "+inf") {
    *out = std::numeric_limits<double>::infinity();
  } else if (l == "-infinity" || l == "-inf") {
    *out = -std::numeric_limits<double>::infinity();
  } else {
    return false;
  }
  return true;
}

const char* NonFiniteName(double d) {
  if (std::isnan(d)) return "NaN";
  return d > 0 ? "Infinity" : "-Infinity";
}

double NumberFromJson(const nlohmann::json& j, const DataType& type) {
  if (j.is_number_float()) return j.get<double>();
  if (j.is_number_integer()) {
    return j.is_number_unsigned() ? static_cast<double>(j.get<uint64_t>())
                                  : static_cast<double>(j.get<int64_t>());
  }
  double d = 0;
  if (j.is_string() && NonFinite(j.get_ref<const std::string&>(), &d)) return d;
  BadValue(j, type, "expected a number (or \"NaN\", \"Infinity\", \"-Infinity\")");
}

int64_t IntegerFromJson(const nlohmann::json& j, const DataType& type, int64_t lo, int64_t hi) {
  if (!j.is_number_integer()) BadValue(j, type, "expected an integer");
  if (j.is_number_unsigned()) {
    const uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(hi)) BadValue(j, type, "out of range");
    return static_cast<int64_t>(u);
  }
  const int64_t v = j.get<int64_t>();
  if (v < lo || v > hi) BadValue(j, type, "out of range");
  return v;
}

const std::string& StringFromJson(const nlohmann::json& j, const DataType& type,
                                  const char* expected) {
  if (!j.is_string()) {
    BadValue(j, type, std::string("expected a string") + (*expected ? " " : "") + expected);
  }
  return j.get_ref<const std::string&>();
}

// Appends `s` as a JSON string literal; InvalidArgument if not valid UTF-8.
void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    // Printable ASCII other than the quote and backslash is copied as a run.
    size_t plain = i;
    while (plain < s.size() && static_cast<unsigned char>(s[plain]) >= 0x20 &&
           static_cast<unsigned char>(s[plain]) < 0x80 && s[plain] != '"' && s[plain] != '\\') {
      ++plain;
    }
    if (plain > i) {
      out->append(s.data() + i, plain - i);
      i = plain;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\b':
          out->append("\\b");
          break;
        case '\f':
          out->append("\\f");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        default:  // another control character
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
      }
      ++i;
      continue;
    }
    // Validate one multi-byte UTF-8 sequence (no overlongs, no surrogates).
    int len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      throw InvalidArgument("string value is not valid UTF-8 (byte " + std::to_string(i) + ")");
    }
    if (i + static_cast<size_t>(len) > s.size()) {
      throw InvalidArgument("string value is not valid UTF-8 (byte " + std::to_string(i) + ")");
    }
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((cc & 0xC0) != 0x80) {
        throw InvalidArgument("string value is not valid UTF-8 (byte " + std::to_string(i) + ")");
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      throw InvalidArgument("string value is not valid UTF-8 (byte " + std::to_string(i) + ")");
    }
    out->append(s.substr(i, static_cast<size_t>(len)));
    i += static_cast<size_t>(len);
  }
  out->push_back('"');
}

void CheckFits(const Value& v, const DataType& type) {
  if (!v.Fits(type)) {
    throw InvalidArgument("value does not fit type " + type.ToString());
  }
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* year, unsigned* month, unsigned* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const unsigned d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const unsigned m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  *year = yoe + era * 400 + (m <= 2);
  *month = m;
  *day = d;
}

std::string FormatDate(int32_t days) {
  std::string s;
  AppendDate(&s, days);
  return s;
}

std::string FormatTime(int64_t micros) {
  if (micros < 0 || micros >= kMicrosPerDay) {
    throw InvalidArgument("time value " + std::to_string(micros) +
                          " µs is outside 00:00:00..23:59:59.999999");
  }
  std::string s;
  AppendTime(&s, micros);
  return s;
}

std::string FormatTimestamp(int64_t micros, bool with_zone) {
  std::string s;
  AppendTimestamp(&s, micros, with_zone);
  return s;
}

std::string FormatDecimal(Int128 unscaled, int scale) {
  const bool negative = unscaled < 0;
  // Work on the magnitude as unsigned so the minimum value does not overflow.
  unsigned __int128 mag = negative ? ~static_cast<unsigned __int128>(unscaled) + 1
                                   : static_cast<unsigned __int128>(unscaled);
  std::string digits;
  while (mag > 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(mag % 10)));
    mag /= 10;
  }
  while (digits.size() < static_cast<size_t>(scale) + 1) digits.push_back('0');
  std::string out;
  if (negative) out.push_back('-');
  for (size_t i = digits.size(); i-- > 0;) {
    out.push_back(digits[i]);
    if (i == static_cast<size_t>(scale) && scale > 0) out.push_back('.');
  }
  return out;
}

std::string FormatUuid(const std::string& b) {
  if (b.size() != 16) {
    throw InvalidArgument("uuid value has " + std::to_string(b.size()) + " bytes, expected 16");
  }
  return Uuid::FromBytes(b).ToString();
}

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out.push_back(kBase64Alphabet[v >> 18]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(kBase64Alphabet[(v >> 6) & 63]);
    out.push_back(kBase64Alphabet[v & 63]);
  }
  const size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out.push_back(kBase64Alphabet[v >> 18]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string Base64Decode(std::string_view text) {
  std::string_view body = text;
  size_t pad = 0;
  while (!body.empty() && body.back() == '=' && pad < 2) {
    body.remove_suffix(1);
    ++pad;
  }
  if (pad > 0 && (body.size() + pad) % 4 != 0) BadText("base64", text, "wrong padding");
  if (body.size() % 4 == 1) BadText("base64", text, "wrong length");
  std::string out;
  out.reserve(body.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : body) {
    const int v = Base64Index(c);
    if (v < 0) BadText("base64", text, "unexpected character");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // Leftover bits must be zero, so every text has exactly one decoding.
  if ((acc & ((1u << bits) - 1)) != 0) BadText("base64", text, "non-zero trailing bits");
  return out;
}

int32_t ParseDate(std::string_view text) {
  TextCursor c(text);
  int64_t days = 0;
  if (!ParseDatePart(&c, &days) || !c.done()) BadText("date", text, "expected YYYY-MM-DD");
  if (days < std::numeric_limits<int32_t>::min() || days > std::numeric_limits<int32_t>::max()) {
    BadText("date", text, "out of range");
  }
  return static_cast<int32_t>(days);
}

int64_t ParseTime(std::string_view text) {
  TextCursor c(text);
  int64_t micros = 0;
  if (!ParseTimePart(&c, &micros) || !c.done()) {
    BadText("time", text, "expected HH:MM:SS.ffffff");
  }
  return micros;
}

int64_t ParseTimestamp(std::string_view text, bool with_zone) {
  const char* expected = with_zone ? "expected YYYY-MM-DDTHH:MM:SS.ffffff+00:00"
                                   : "expected YYYY-MM-DDTHH:MM:SS.ffffff";
  const char* what = with_zone ? "timestamptz" : "timestamp";
  TextCursor c(text);
  int64_t days = 0, micros = 0;
  if (!ParseDatePart(&c, &days) || !(c.Eat('T') || c.Eat(' ')) || !ParseTimePart(&c, &micros)) {
    BadText(what, text, expected);
  }
  int64_t offset_minutes = 0;
  if (!c.done()) {
    if (!with_zone) {
      BadText(what, text, "a timestamp without time zone cannot carry an offset");
    }
    if (!c.Eat('Z')) {
      const bool negative = c.peek() == '-';
      if (!c.Eat('+') && !c.Eat('-')) BadText(what, text, expected);
      int64_t hh = 0, mm = 0;
      if (!c.Digits(2, &hh)) BadText(what, text, expected);
      if (!c.done()) {
        c.Eat(':');
        if (!c.Digits(2, &mm)) BadText(what, text, expected);
      }
      if (hh > 18 || mm > 59) BadText(what, text, "offset out of range");
      offset_minutes = (hh * 60 + mm) * (negative ? -1 : 1);
    }
    if (!c.done()) BadText(what, text, expected);
  }
  int64_t result = 0;
  if (__builtin_mul_overflow(days, kMicrosPerDay, &result) ||
      __builtin_add_overflow(result, micros, &result) ||
      __builtin_sub_overflow(result, offset_minutes * 60 * kMicrosPerSecond, &result)) {
    BadText(what, text, "out of range");
  }
  return result;
}

Int128 ParseDecimal(std::string_view text, int precision, int scale) {
  const std::string type =
      "decimal(" + std::to_string(precision) + ", " + std::to_string(scale) + ")";
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  Int128 v = 0;
  int int_digits = 0, frac_digits = 0;
  bool seen_digit = false;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    seen_digit = true;
    if (v == 0 && text[i] == '0') continue;  // leading zeros do not count toward precision
    if (++int_digits > precision - scale) {
      BadText(type, text, "too many digits before the decimal point");
    }
    v = v * 10 + (text[i] - '0');
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      seen_digit = true;
      if (++frac_digits > scale) {
        if (text[i] != '0') BadText(type, text, "more fraction digits than the scale");
        continue;
      }
      v = v * 10 + (text[i] - '0');
    }
  }
  if (!seen_digit || i != text.size()) BadText(type, text, "expected a decimal number like 123.45");
  for (; frac_digits < scale; ++frac_digits) v *= 10;
  return negative ? -v : v;
}

std::string ParseUuid(std::string_view text) {
  if (text.size() != 36) BadText("uuid", text, "expected 8-4-4-4-12 hex digits");
  std::string out;
  int hi = -1;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') BadText("uuid", text, "expected 8-4-4-4-12 hex digits");
      continue;
    }
    const int d = HexDigit(text[i]);
    if (d < 0) BadText("uuid", text, "expected 8-4-4-4-12 hex digits");
    if (hi < 0) {
      hi = d;
    } else {
      out.push_back(static_cast<char>(hi << 4 | d));
      hi = -1;
    }
  }
  return out;
}

Value ValueFromJson(const nlohmann::json& j, const DataType& type) {
  if (j.is_null()) return Value::Null();
  try {
    switch (type.id) {
      case TypeId::kBoolean:
        if (!j.is_boolean()) BadValue(j, type, "expected true or false");
        return Value(j.get<bool>());
      case TypeId::kInt:
        return Value(static_cast<int32_t>(IntegerFromJson(j, type, INT32_MIN, INT32_MAX)));
      case TypeId::kLong:
        return Value(IntegerFromJson(j, type, INT64_MIN, INT64_MAX));
      case TypeId::kFloat: {
        const double d = NumberFromJson(j, type);
        const float f = static_cast<float>(d);
        if (std::isinf(f) && !std::isinf(d)) BadValue(j, type, "out of range");
        return Value(f);
      }
      case TypeId::kDouble:
        return Value(NumberFromJson(j, type));
      case TypeId::kDecimal: {
        if (j.is_number_integer()) {
          return Value::Decimal(ParseDecimal(j.dump(), type.precision, type.scale));
        }
        const std::string& s = StringFromJson(j, type, "like \"123.45\"");
        return Value::Decimal(ParseDecimal(s, type.precision, type.scale));
      }
      case TypeId::kDate:
        return Value(ParseDate(StringFromJson(j, type, "YYYY-MM-DD")));
      case TypeId::kTime:
        return Value(ParseTime(StringFromJson(j, type, "HH:MM:SS.ffffff")));
      case TypeId::kTimestamp:
        return Value(ParseTimestamp(StringFromJson(j, type, "YYYY-MM-DDTHH:MM:SS.ffffff"), false));
      case TypeId::kTimestampTz:
        return Value(
            ParseTimestamp(StringFromJson(j, type, "YYYY-MM-DDTHH:MM:SS.ffffff+00:00"), true));
      case TypeId::kString:
        return Value(StringFromJson(j, type, ""));
      case TypeId::kUuid:
        return Value(ParseUuid(StringFromJson(j, type, "8-4-4-4-12 hex digits")));
      case TypeId::kBinary:
        return Value(Base64Decode(StringFromJson(j, type, "in base64")));
      case TypeId::kFixed: {
        std::string b = Base64Decode(StringFromJson(j, type, "in base64"));
        if (b.size() != static_cast<size_t>(type.length)) {
          BadValue(j, type, "decodes to " + std::to_string(b.size()) + " bytes");
        }
        return Value(std::move(b));
      }
    }
  } catch (const InvalidArgument& e) {
    // Parsers of text forms name the text; add the value and type once.
    const std::string msg = e.what();
    if (msg.rfind("value ", 0) == 0) throw;
    throw InvalidArgument("value " + Show(j) + " is not a valid " + type.ToString() + ": " + msg);
  }
  BadValue(j, type, "unknown type");
}

nlohmann::json ValueToJson(const Value& v, const DataType& type) {
  if (v.is_null()) return nullptr;
  CheckFits(v, type);
  switch (type.id) {
    case TypeId::kBoolean:
      return v.as_bool();
    case TypeId::kInt:
      return v.as_int();
    case TypeId::kLong:
      return v.as_long();
    case TypeId::kFloat: {
      const float f = v.as_float();
      if (!std::isfinite(f)) return NonFiniteName(f);
      return std::strtod(FloatText(f).c_str(), nullptr);
    }
    case TypeId::kDouble: {
      const double d = v.as_double();
      if (!std::isfinite(d)) return NonFiniteName(d);
      return d;
    }
    case TypeId::kDecimal:
      return FormatDecimal(v.as_decimal(), type.scale);
    case TypeId::kDate:
      return FormatDate(v.as_int());
    case TypeId::kTime:
      return FormatTime(v.as_long());
    case TypeId::kTimestamp:
      return FormatTimestamp(v.as_long(), false);
    case TypeId::kTimestampTz:
      return FormatTimestamp(v.as_long(), true);
    case TypeId::kString:
      return v.as_bytes();
    case TypeId::kUuid:
      return FormatUuid(v.as_bytes());
    case TypeId::kBinary:
    case TypeId::kFixed:
      return Base64Encode(v.as_bytes());
  }
  return nullptr;
}

namespace {

// The JSON text of one non-null value of `type`, read through `v` (a Value,
// or a row of a column): as_bool(), as_int(), ... as Value names them.
template <typename Cell>
void AppendJsonOf(const Cell& v, const DataType& type, std::string* out) {
  char buf[32];
  switch (type.id) {
    case TypeId::kBoolean:
      out->append(v.as_bool() ? "true" : "false");
      return;
    case TypeId::kInt: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
      out->append(buf, r.ptr);
      return;
    }
    case TypeId::kLong: {
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_long());
      out->append(buf, r.ptr);
      return;
    }
    case TypeId::kFloat: {
      const float f = v.as_float();
      if (!std::isfinite(f)) {
        AppendJsonString(NonFiniteName(f), out);
      } else {
        AppendFloating(f, out);
      }
      return;
    }
    case TypeId::kDouble: {
      const double d = v.as_double();
      if (!std::isfinite(d)) {
        AppendJsonString(NonFiniteName(d), out);
      } else {
        AppendFloating(d, out);
      }
      return;
    }
    case TypeId::kDecimal:
      out->push_back('"');
      out->append(FormatDecimal(v.as_decimal(), type.scale));
      out->push_back('"');
      return;
    case TypeId::kDate:
      out->push_back('"');
      AppendDate(out, v.as_int());
      out->push_back('"');
      return;
    case TypeId::kTime:
      out->push_back('"');
      out->append(FormatTime(v.as_long()));
      out->push_back('"');
      return;
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      out->push_back('"');
      AppendTimestamp(out, v.as_long(), type.id == TypeId::kTimestampTz);
      out->push_back('"');
      return;
    case TypeId::kString:
      AppendJsonString(v.as_bytes(), out);
      return;
    case TypeId::kUuid:
      out->push_back('"');
      out->append(FormatUuid(std::string(v.as_bytes())));
      out->push_back('"');
      return;
    case TypeId::kBinary:
    case TypeId::kFixed:
      out->push_back('"');
      out->append(Base64Encode(v.as_bytes()));
      out->push_back('"');
      return;
  }
}

// A row of a column with a value, read as AppendJsonOf reads a Value.
struct ColumnCell {
  const ColumnVector& c;
  size_t i;
  bool as_bool() const { return c.bools[i] != 0; }
  int32_t as_int() const { return c.ints[i]; }
  int64_t as_long() const { return c.longs[i]; }
  float as_float() const { return c.floats[i]; }
  double as_double() const { return c.doubles[i]; }
  Int128 as_decimal() const { return c.decimals[i]; }
  std::string_view as_bytes() const { return c.bytes_at(i); }
};

}  // namespace

void AppendValueJson(const Value& v, const DataType& type, std::string* out) {
  if (v.is_null()) {
    out->append("null");
    return;
  }
  CheckFits(v, type);
  AppendJsonOf(v, type, out);
}

void AppendCellJson(const ColumnVector& column, size_t row, std::string* out) {
  if (column.is_null(row)) {
    out->append("null");
    return;
  }
  switch (column.type().id) {
    case TypeId::kDecimal:
    case TypeId::kUuid:
    case TypeId::kFixed:
      // Their values may not fit the type (precision, length): checked as a Value.
      AppendValueJson(column.Get(row), column.type(), out);
      return;
    default:
      AppendJsonOf(ColumnCell{column, row}, column.type(), out);
      return;
  }
}

void AppendBatchJsonLines(const RecordBatch& batch, size_t begin, size_t end, std::string* out) {
  const auto& fields = batch.schema.fields();
  // The `"name":` keys, built once per batch.
  std::vector<std::string> keys(fields.size());
  for (size_t c = 0; c < fields.size(); ++c) {
    if (c > 0) keys[c].push_back(',');
    AppendJsonString(fields[c].name, &keys[c]);
    keys[c].push_back(':');
  }
  for (size_t r = begin; r < end; ++r) {
    out->push_back('{');
    for (size_t c = 0; c < fields.size(); ++c) {
      out->append(keys[c]);
      AppendCellJson(batch.columns[c], r, out);
    }
    out->append("}\n");
  }
}

Schema SchemaFromJson(const nlohmann::json& j) {
  const nlohmann::json* fields = &j;
  int schema_id = 0;
  std::vector<int> identifier_field_ids;
  if (j.is_object()) {
    if (const auto it = j.find("identifier-field-ids"); it != j.end()) {
      if (!it->is_array()) {
        throw InvalidArgument("identifier-field-ids must be a list of field ids, got " + Show(*it));
      }
      for (const nlohmann::json& id : *it) {
        if (!id.is_number_integer()) {
          throw InvalidArgument("identifier-field-ids holds " + Show(id) + ", not a field id");
        }
        identifier_field_ids.push_back(id.get<int>());
      }
    }
    if (j.contains("type") && j["type"] != "struct") {
      throw InvalidArgument("schema object must have \"type\":\"struct\", got " + Show(j["type"]));
    }
    if (!j.contains("fields")) throw InvalidArgument("schema object has no \"fields\"");
    if (j.contains("schema-id")) {
      if (!j["schema-id"].is_number_integer()) {
        throw InvalidArgument("schema-id must be an integer, got " + Show(j["schema-id"]));
      }
      schema_id = j["schema-id"].get<int>();
    }
    fields = &j["fields"];
  }
  if (!fields->is_array()) {
    throw InvalidArgument(
        "schema must be a list of fields like "
        "[{\"id\":1,\"name\":\"record_id\",\"type\":\"long\",\"required\":true}]");
  }
  std::vector<Field> out;
  for (size_t i = 0; i < fields->size(); ++i) {
    const nlohmann::json& f = (*fields)[i];
    const std::string where = "schema field " + std::to_string(i + 1);
    if (!f.is_object()) throw InvalidArgument(where + " is not an object: " + Show(f));
    for (const auto& [key, val] : f.items()) {
      if (key != "id" && key != "name" && key != "type" && key != "required" && key != "doc") {
        throw InvalidArgument(where + " has unknown key \"" + key +
                              "\" (expected id, name, type, required, doc)");
      }
    }
    Field field;
    if (!f.contains("name") || !f["name"].is_string()) {
      throw InvalidArgument(where + " needs a string \"name\"");
    }
    field.name = f["name"].get<std::string>();
    const std::string named = where + " '" + field.name + "'";
    if (!f.contains("id") || !f["id"].is_number_integer()) {
      throw InvalidArgument(named + " needs an integer \"id\"");
    }
    const int64_t id = f["id"].get<int64_t>();
    if (id <= 0 || id > 2147483447) {
      throw InvalidArgument(named + " has id " + std::to_string(id) +
                            ": ids must be between 1 and 2147483447");
    }
    field.id = static_cast<int>(id);
    if (!f.contains("type")) throw InvalidArgument(named + " needs a \"type\"");
    if (!f["type"].is_string()) {
      throw NotSupported(named + " has type " + Show(f["type"]) +
                         ": only primitive types are supported");
    }
    try {
      field.type = DataType::Parse(f["type"].get<std::string>());
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(named + ": " + e.what());
    }
    if (f.contains("required")) {
      if (!f["required"].is_boolean()) {
        throw InvalidArgument(named + ": \"required\" must be true or false");
      }
      field.required = f["required"].get<bool>();
    }
    if (f.contains("doc")) {
      if (!f["doc"].is_string()) throw InvalidArgument(named + ": \"doc\" must be a string");
      field.doc = f["doc"].get<std::string>();
    }
    out.push_back(std::move(field));
  }
  return Schema(schema_id, std::move(out), std::move(identifier_field_ids));
}

nlohmann::json SchemaFieldsToJson(const Schema& schema) {
  nlohmann::json out = nlohmann::json::array();
  for (const Field& f : schema.fields()) {
    nlohmann::json o = {
        {"id", f.id}, {"name", f.name}, {"type", f.type.ToString()}, {"required", f.required}};
    if (!f.doc.empty()) o["doc"] = f.doc;
    out.push_back(std::move(o));
  }
  return out;
}

nlohmann::json SchemaToJson(const Schema& schema) {
  nlohmann::json out = nlohmann::json::object();
  out["type"] = "struct";
  out["schema-id"] = schema.schema_id();
  out["fields"] = SchemaFieldsToJson(schema);
  if (!schema.identifier_field_ids().empty())
    out["identifier-field-ids"] = schema.identifier_field_ids();
  return out;
}

Record RecordFromJson(const nlohmann::json& row, const Schema& schema, int64_t line_number) {
  const std::string where = "line " + std::to_string(line_number);
  if (!row.is_object()) throw InvalidArgument(where + ": expected a JSON object, got " + Show(row));
  const auto& fields = schema.fields();
  Record record(fields.size());
  std::vector<uint8_t> seen(fields.size(), 0);
  for (const auto& [key, val] : row.items()) {
    const int idx = schema.IndexOf(key);
    if (idx < 0) throw InvalidArgument(where + ": unknown column '" + key + "'");
    const Field& f = fields[static_cast<size_t>(idx)];
    try {
      record[static_cast<size_t>(idx)] = ValueFromJson(val, f.type);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(where + ": column '" + f.name + "': " + e.what());
    }
    seen[static_cast<size_t>(idx)] = 1;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].required && record[i].is_null()) {
      throw InvalidArgument(where + ": column '" + fields[i].name + "' is required but " +
                            (seen[i] ? "null" : "missing"));
    }
  }
  return record;
}

namespace {

// Builds a Record straight from parser events, without a JSON document. It
// only recognises the happy path: on anything unexpected it stops, and the
// caller re-parses the line the slow way to raise the detailed error.
class RecordSax final : public nlohmann::json_sax<nlohmann::json> {
 public:
  RecordSax(const Schema& schema, Record* out, std::vector<uint8_t>* seen)
      : schema_(schema), out_(out), seen_(seen) {}

  bool null() override { return Put(nlohmann::json(nullptr)); }
  bool boolean(bool v) override { return Put(nlohmann::json(v)); }
  bool number_integer(number_integer_t v) override { return Put(nlohmann::json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Put(nlohmann::json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return Put(nlohmann::json(v)); }
  bool string(string_t& v) override { return Put(nlohmann::json(std::move(v))); }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return depth_++ == 0; }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override { return false; }
  bool end_array() override { return false; }
  bool key(string_t& k) override {
    column_ = schema_.IndexOf(k);
    return column_ >= 0;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Put(const nlohmann::json& v) {
    if (depth_ != 1 || column_ < 0) return false;
    const size_t c = static_cast<size_t>(column_);
    try {
      (*out_)[c] = ValueFromJson(v, schema_.fields()[c].type);
    } catch (const InvalidArgument&) {
      return false;
    }
    (*seen_)[c] = 1;
    column_ = -1;
    return true;
  }

  const Schema& schema_;
  Record* out_;
  std::vector<uint8_t>* seen_;
  int depth_ = 0;
  int column_ = -1;
};

}  // namespace

Record RecordFromJsonLine(std::string_view line, const Schema& schema, int64_t line_number) {
  const size_t n = schema.fields().size();
  Record record(n);
  std::vector<uint8_t> seen(n, 0);
  RecordSax sax(schema, &record, &seen);
  if (nlohmann::json::sax_parse(line.begin(), line.end(), &sax)) {
    bool complete = true;
    for (size_t i = 0; i < n; ++i) {
      if (schema.fields()[i].required && record[i].is_null()) complete = false;
    }
    if (complete) return record;
  }
  nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  if (j.is_discarded()) {
    throw InvalidArgument("line " + std::to_string(line_number) +
                          ": not valid JSON: " + ShowText(line));
  }
  return RecordFromJson(j, schema, line_number);
}

nlohmann::json RecordToJson(const Record& record, const Schema& schema) {
  nlohmann::json out = nlohmann::json::object();
  const auto& fields = schema.fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    out[fields[i].name] = ValueToJson(record[i], fields[i].type);
  }
  return out;
}

void AppendRecordJson(const Record& record, const Schema& schema, std::string* out) {
  const auto& fields = schema.fields();
  out->push_back('{');
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(fields[i].name, out);
    out->push_back(':');
    AppendValueJson(record[i], fields[i].type, out);
  }
  out->push_back('}');
}

}  // namespace datashard

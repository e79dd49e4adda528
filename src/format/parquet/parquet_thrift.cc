#include "format/parquet/parquet_thrift.h"

#include <algorithm>

namespace datashard::parquet {
namespace {

// ---- writing ----

void WriteStatistics(CompactWriter* w, const Statistics& s) {
  if (s.max) w->FieldBinary(1, *s.max);
  if (s.min) w->FieldBinary(2, *s.min);
  if (s.null_count) w->FieldI64(3, *s.null_count);
  if (s.distinct_count) w->FieldI64(4, *s.distinct_count);
  if (s.max_value) w->FieldBinary(5, *s.max_value);
  if (s.min_value) w->FieldBinary(6, *s.min_value);
}

void WriteEmptyStructField(CompactWriter* w, int16_t id) {
  w->FieldStruct(id);
  w->EndStruct();
}

void WriteLogicalType(CompactWriter* w, const LogicalType& t) {
  const int16_t id = static_cast<int16_t>(t.kind);
  switch (t.kind) {
    case LogicalType::Kind::kDecimal:
      w->FieldStruct(id);
      w->FieldI32(1, t.scale);
      w->FieldI32(2, t.precision);
      w->EndStruct();
      return;
    case LogicalType::Kind::kTime:
    case LogicalType::Kind::kTimestamp:
      w->FieldStruct(id);
      w->FieldBool(1, t.adjusted_to_utc);
      w->FieldStruct(2);
      WriteEmptyStructField(w, static_cast<int16_t>(t.unit));
      w->EndStruct();
      w->EndStruct();
      return;
    case LogicalType::Kind::kInteger:
      w->FieldStruct(id);
      w->FieldI8(1, t.bit_width);
      w->FieldBool(2, t.is_signed);
      w->EndStruct();
      return;
    default:
      WriteEmptyStructField(w, id);
      return;
  }
}

void WriteSchemaElement(CompactWriter* w, const SchemaElement& e) {
  w->BeginStruct();
  if (e.type) w->FieldI32(1, static_cast<int32_t>(*e.type));
  if (e.type_length) w->FieldI32(2, *e.type_length);
  if (e.repetition) w->FieldI32(3, static_cast<int32_t>(*e.repetition));
  w->FieldBinary(4, e.name);
  if (e.num_children) w->FieldI32(5, *e.num_children);
  if (e.converted_type) w->FieldI32(6, static_cast<int32_t>(*e.converted_type));
  if (e.scale) w->FieldI32(7, *e.scale);
  if (e.precision) w->FieldI32(8, *e.precision);
  if (e.field_id) w->FieldI32(9, *e.field_id);
  if (e.logical_type) {
    w->FieldStruct(10);
    WriteLogicalType(w, *e.logical_type);
    w->EndStruct();
  }
  w->EndStruct();
}

void WriteColumnMetaData(CompactWriter* w, const ColumnMetaData& m) {
  w->FieldI32(1, static_cast<int32_t>(m.type));
  w->FieldList(2, CType::kI32, static_cast<uint32_t>(m.encodings.size()));
  for (Encoding e : m.encodings) w->ElementI32(static_cast<int32_t>(e));
  w->FieldList(3, CType::kBinary, static_cast<uint32_t>(m.path_in_schema.size()));
  for (const std::string& p : m.path_in_schema) w->ElementBinary(p);
  w->FieldI32(4, static_cast<int32_t>(m.codec));
  w->FieldI64(5, m.num_values);
  w->FieldI64(6, m.total_uncompressed_size);
  w->FieldI64(7, m.total_compressed_size);
  w->FieldI64(9, m.data_page_offset);
  if (m.dictionary_page_offset) w->FieldI64(11, *m.dictionary_page_offset);
  if (m.statistics) {
    w->FieldStruct(12);
    WriteStatistics(w, *m.statistics);
    w->EndStruct();
  }
  if (m.encoding_stats) {
    w->FieldList(13, CType::kStruct, static_cast<uint32_t>(m.encoding_stats->size()));
    for (const PageEncodingStats& e : *m.encoding_stats) {
      w->BeginStruct();
      w->FieldI32(1, static_cast<int32_t>(e.page_type));
      w->FieldI32(2, static_cast<int32_t>(e.encoding));
      w->FieldI32(3, e.count);
      w->EndStruct();
    }
  }
}

void WriteKeyValues(CompactWriter* w, int16_t id, const std::vector<KeyValue>& kvs) {
  w->FieldList(id, CType::kStruct, static_cast<uint32_t>(kvs.size()));
  for (const KeyValue& kv : kvs) {
    w->BeginStruct();
    w->FieldBinary(1, kv.key);
    if (kv.value) w->FieldBinary(2, *kv.value);
    w->EndStruct();
  }
}

// ---- reading ----

// Calls on_field(type, id) for each field of a struct; it returns false for
// fields it does not consume, which are skipped.
template <typename F>
void ReadStruct(CompactReader* r, F&& on_field) {
  r->BeginStruct();
  CType t;
  int16_t id;
  while (r->ReadFieldHeader(&t, &id)) {
    if (!on_field(t, id)) r->Skip(t);
  }
  r->EndStruct();
}

void Expect(CompactReader* r, CType got, CType want, const char* field) {
  const bool both_bool = (got == CType::kBoolTrue || got == CType::kBoolFalse) &&
                         (want == CType::kBoolTrue || want == CType::kBoolFalse);
  if (got != want && !both_bool) {
    r->Fail(std::string("field ") + field + " has wire type " +
            std::to_string(static_cast<int>(got)));
  }
}

void Require(CompactReader* r, bool seen, const char* field) {
  if (!seen) r->Fail(std::string("required field ") + field + " is missing");
}

template <typename T, typename F>
std::vector<T> ReadList(CompactReader* r, CType t, CType element, const char* field, F&& read) {
  Expect(r, t, CType::kList, field);
  CType et;
  uint32_t n;
  r->ReadListHeader(&et, &n);
  if (et != element) r->Fail(std::string("list ") + field + " has the wrong element type");
  // `n` is bounded by the bytes left (one per element), not by what the
  // elements decode to (hundreds of bytes each): the vector grows with the
  // elements actually read instead of reserving n up front.
  std::vector<T> out;
  out.reserve(std::min<uint32_t>(n, 1024));
  for (uint32_t i = 0; i < n; ++i) out.push_back(read());
  return out;
}

Statistics ReadStatistics(CompactReader* r) {
  Statistics s;
  ReadStruct(r, [&](CType t, int16_t id) {
    switch (id) {
      case 1:
        Expect(r, t, CType::kBinary, "Statistics.max");
        s.max = r->ReadBinary();
        return true;
      case 2:
        Expect(r, t, CType::kBinary, "Statistics.min");
        s.min = r->ReadBinary();
        return true;
      case 3:
        Expect(r, t, CType::kI64, "Statistics.null_count");
        s.null_count = r->ReadI64();
        return true;
      case 4:
        Expect(r, t, CType::kI64, "Statistics.distinct_count");
        s.distinct_count = r->ReadI64();
        return true;
      case 5:
        Expect(r, t, CType::kBinary, "Statistics.max_value");
        s.max_value = r->ReadBinary();
        return true;
      case 6:
        Expect(r, t, CType::kBinary, "Statistics.min_value");
        s.min_value = r->ReadBinary();
        return true;
      default:
        return false;
    }
  });
  return s;
}

// Reads a union; returns the id of its (first) member, whose value is
// handed to on_member (or skipped when it returns false).
template <typename F>
int16_t ReadUnion(CompactReader* r, F&& on_member) {
  int16_t member = 0;
  ReadStruct(r, [&](CType t, int16_t id) {
    if (member == 0) member = id;
    return on_member(t, id);
  });
  return member;
}

TimeUnit ReadTimeUnit(CompactReader* r) {
  const int16_t id = ReadUnion(r, [&](CType t, int16_t) {
    Expect(r, t, CType::kStruct, "TimeUnit");
    return false;
  });
  if (id < 1 || id > 3) r->Fail("unknown TimeUnit " + std::to_string(id));
  return static_cast<TimeUnit>(id);
}

LogicalType ReadLogicalType(CompactReader* r) {
  LogicalType lt;
  const int16_t id = ReadUnion(r, [&](CType t, int16_t id) {
    Expect(r, t, CType::kStruct, "LogicalType");
    switch (id) {
      case 5:
        ReadStruct(r, [&](CType ft, int16_t fid) {
          if (fid == 1) {
            Expect(r, ft, CType::kI32, "DecimalType.scale");
            lt.scale = r->ReadI32();
            return true;
          }
          if (fid == 2) {
            Expect(r, ft, CType::kI32, "DecimalType.precision");
            lt.precision = r->ReadI32();
            return true;
          }
          return false;
        });
        return true;
      case 7:
      case 8:
        ReadStruct(r, [&](CType ft, int16_t fid) {
          if (fid == 1) {
            Expect(r, ft, CType::kBoolTrue, "isAdjustedToUTC");
            lt.adjusted_to_utc = r->ReadBool(ft);
            return true;
          }
          if (fid == 2) {
            Expect(r, ft, CType::kStruct, "TimeType.unit");
            lt.unit = ReadTimeUnit(r);
            return true;
          }
          return false;
        });
        return true;
      case 10:
        ReadStruct(r, [&](CType ft, int16_t fid) {
          if (fid == 1) {
            Expect(r, ft, CType::kI8, "IntType.bitWidth");
            lt.bit_width = r->ReadI8();
            return true;
          }
          if (fid == 2) {
            Expect(r, ft, CType::kBoolTrue, "IntType.isSigned");
            lt.is_signed = r->ReadBool(ft);
            return true;
          }
          return false;
        });
        return true;
      default:
        return false;
    }
  });
  if (id <= 0) r->Fail("empty LogicalType union");
  lt.kind = static_cast<LogicalType::Kind>(id);
  return lt;
}

SchemaElement ReadSchemaElement(CompactReader* r) {
  SchemaElement e;
  bool has_name = false;
  ReadStruct(r, [&](CType t, int16_t id) {
    switch (id) {
      case 1:
        Expect(r, t, CType::kI32, "SchemaElement.type");
        e.type = static_cast<PhysicalType>(r->ReadI32());
        return true;
      case 2:
        Expect(r, t, CType::kI32, "SchemaElement.type_length");
        e.type_length = r->ReadI32();
        return true;
      case 3:
        Expect(r, t, CType::kI32, "SchemaElement.repetition_type");
        e.repetition = static_cast<Repetition>(r->ReadI32());
        return true;
      case 4:
        Expect(r, t, CType::kBinary, "SchemaElement.name");
        e.name = r->ReadBinary();
        has_name = true;
        return true;
      case 5:
        Expect(r, t, CType::kI32, "SchemaElement.num_children");
        e.num_children = r->ReadI32();
        return true;
      case 6:
        Expect(r, t, CType::kI32, "SchemaElement.converted_type");
        e.converted_type = static_cast<ConvertedType>(r->ReadI32());
        return true;
      case 7:
        Expect(r, t, CType::kI32, "SchemaElement.scale");
        e.scale = r->ReadI32();
        return true;
      case 8:
        Expect(r, t, CType::kI32, "SchemaElement.precision");
        e.precision = r->ReadI32();
        return true;
      case 9:
        Expect(r, t, CType::kI32, "SchemaElement.field_id");
        e.field_id = r->ReadI32();
        return true;
      case 10:
        Expect(r, t, CType::kStruct, "SchemaElement.logicalType");
        e.logical_type = ReadLogicalType(r);
        return true;
      default:
        return false;
    }
  });
  Require(r, has_name, "SchemaElement.name");
  return e;
}

PageEncodingStats ReadEncodingStats(CompactReader* r) {
  PageEncodingStats e;
  bool seen[4] = {};
  ReadStruct(r, [&](CType t, int16_t id) {
    switch (id) {
      case 1:
        Expect(r, t, CType::kI32, "PageEncodingStats.page_type");
        e.page_type = static_cast<PageType>(r->ReadI32());
        break;
      case 2:
        Expect(r, t, CType::kI32, "PageEncodingStats.encoding");
        e.encoding = static_cast<Encoding>(r->ReadI32());
        break;
      case 3:
        Expect(r, t, CType::kI32, "PageEncodingStats.count");
        e.count = r->ReadI32();
        break;
      default:
        return false;
    }
    seen[id] = true;
    return true;
  });
  Require(r, seen[1], "PageEncodingStats.page_type");
  Require(r, seen[2], "PageEncodingStats.encoding");
  Require(r, seen[3], "PageEncodingStats.count");
  return e;
}

ColumnMetaData ReadColumnMetaData(CompactReader* r) {
  ColumnMetaData m;
  bool seen[10] = {};
  ReadStruct(r, [&](CType t, int16_t id) {
    switch (id) {
      case 1:
        Expect(r, t, CType::kI32, "ColumnMetaData.type");
        m.type = static_cast<PhysicalType>(r->ReadI32());
        break;
      case 2:
        m.encodings = ReadList<Encoding>(r, t, CType::kI32, "ColumnMetaData.encodings",
                                         [&] { return static_cast<Encoding>(r->ReadI32()); });
        break;
      case 3:
        m.path_in_schema = ReadList<std::string>(
            r, t, CType::kBinary, "ColumnMetaData.path_in_schema", [&] { return r->ReadBinary(); });
        break;
      case 4:
        Expect(r, t, CType::kI32, "ColumnMetaData.codec");
        m.codec = static_cast<CompressionCodec>(r->ReadI32());
        break;
      case 5:
        Expect(r, t, CType::kI64, "ColumnMetaData.num_values");
        m.num_values = r->ReadI64();
        break;
      case 6:
        Expect(r, t, CType::kI64, "ColumnMetaData.total_uncompressed_size");
        m.total_uncompressed_size = r->ReadI64();
        break;
      case 7:
        Expect(r, t, CType::kI64, "ColumnMetaData.total_compressed_size");
        m.total_compressed_size = r->ReadI64();
        break;
      case 9:
        Expect(r, t, CType::kI64, "ColumnMetaData.data_page_offset");
        m.data_page_offset = r->ReadI64();
        break;
      case 11:
        Expect(r, t, CType::kI64, "ColumnMetaData.dictionary_page_offset");
        m.dictionary_page_offset = r->ReadI64();
        return true;
      case 12:
        Expect(r, t, CType::kStruct, "ColumnMetaData.statistics");
        m.statistics = ReadStatistics(r);
        return true;
      case 13:
        m.encoding_stats =
            ReadList<PageEncodingStats>(r, t, CType::kStruct, "ColumnMetaData.encoding_stats",
                                        [&] { return ReadEncodingStats(r); });
        return true;
      default:
        return false;
    }
    seen[id] = true;
    return true;
  });
  Require(r, seen[1], "ColumnMetaData.type");
  Require(r, seen[4], "ColumnMetaData.codec");
  Require(r, seen[5], "ColumnMetaData.num_values");
  Require(r, seen[7], "ColumnMetaData.total_compressed_size");
  Require(r, seen[9], "ColumnMetaData.data_page_offset");
  return m;
}

ColumnChunk ReadColumnChunk(CompactReader* r) {
  ColumnChunk c;
  ReadStruct(r, [&](CType t, int16_t id) {
    switch (id) {
      case 1:
        Expect(r, t, CType::kBinary, "ColumnChunk.file_path");
        c.file_path = r->ReadBinary();
        return true;
      case 2:
        Expect(r, t, CType::kI64, "ColumnChunk.file_offset");
        c.file_offset = r->ReadI64();
        return true;
      case 3:
        Expect(r, t, CType::kStruct, "ColumnChunk.meta_data");
        c.meta_data = ReadColumnMetaData(r);
        return true;
      case 4:
        Expect(r, t, CType::kI64, "ColumnChunk.offset_index_offset");
        c.offset_index_offset = r->ReadI64();
        return true;
      case 5:
        Expect(r, t, CType::kI32, "ColumnChunk.offset_index_length");
        c.offset_index_length = r->ReadI32();
        return true;
      case 6:
        Expect(r, t, CType::kI64, "ColumnChunk.column_index_offset");
        c.column_index_offset = r->ReadI64();
        return true;
      case 7:
        Expect(r, t, CType::kI32, "ColumnChunk.column_index_length");
        c.column_index_length = r->ReadI32();
        return true;
      default:
        return false;
    }
  });
  return c;
}

RowGroup ReadRowGroup(CompactReader* r) {
  RowGroup g;
  bool has_columns = false, has_rows = false;
  ReadStruct(r, [&](CType t, int16_t id) {
    switch (id) {
      case 1:
        g.columns = ReadList<ColumnChunk>(r, t, CType::kStruct, "RowGroup.columns",
                                          [&] { return ReadColumnChunk(r); });
        has_columns = true;
        return true;
      case 2:
        Expect(r, t, CType::kI64, "RowGroup.total_byte_size");
        g.total_byte_size = r->ReadI64();
        return true;
      case 3:
        Expect(r, t, CType::kI64, "RowGroup.num_rows");
        g.num_rows = r->ReadI64();
        has_rows = true;
        return true;
      case 5:
        Expect(r, t, CType::kI64, "RowGroup.file_offset");
        g.file_offset = r->ReadI64();
        return true;
      case 6:
        Expect(r, t, CType::kI64, "RowGroup.total_compressed_size");
        g.total_compressed_size = r->ReadI64();
        return true;
      case 7:
        Expect(r, t, CType::kI16, "RowGroup.ordinal");
        g.ordinal = r->ReadI16();
        return true;
      default:
        return false;
    }
  });
  Require(r, has_columns, "RowGroup.columns");
  Require(r, has_rows, "RowGroup.num_rows");
  return g;
}

KeyValue ReadKeyValue(CompactReader* r) {
  KeyValue kv;
  bool has_key = false;
  ReadStruct(r, [&](CType t, int16_t id) {
    if (id == 1) {
      Expect(r, t, CType::kBinary, "KeyValue.key");
      kv.key = r->ReadBinary();
      has_key = true;
      return true;
    }
    if (id == 2) {
      Expect(r, t, CType::kBinary, "KeyValue.value");
      kv.value = r->ReadBinary();
      return true;
    }
    return false;
  });
  Require(r, has_key, "KeyValue.key");
  return kv;
}

DataPageHeader ReadDataPageHeader(CompactReader* r) {
  DataPageHeader h;
  bool seen[5] = {};
  ReadStruct(r, [&](CType t, int16_t id) {
    switch (id) {
      case 1:
        Expect(r, t, CType::kI32, "DataPageHeader.num_values");
        h.num_values = r->ReadI32();
        break;
      case 2:
        Expect(r, t, CType::kI32, "DataPageHeader.encoding");
        h.encoding = static_cast<Encoding>(r->ReadI32());
        break;
      case 3:
        Expect(r, t, CType::kI32, "DataPageHeader.definition_level_encoding");
        h.definition_level_encoding = static_cast<Encoding>(r->ReadI32());
        break;
      case 4:
        Expect(r, t, CType::kI32, "DataPageHeader.repetition_level_encoding");
        h.repetition_level_encoding = static_cast<Encoding>(r->ReadI32());
        break;
      case 5:
        Expect(r, t, CType::kStruct, "DataPageHeader.statistics");
        h.statistics = ReadStatistics(r);
        return true;
      default:
        return false;
    }
    seen[id] = true;
    return true;
  });
  Require(r, seen[1], "DataPageHeader.num_values");
  Require(r, seen[2], "DataPageHeader.encoding");
  return h;
}

DataPageHeaderV2 ReadDataPageHeaderV2(CompactReader* r) {
  DataPageHeaderV2 h;
  bool seen[7] = {};
  ReadStruct(r, [&](CType t, int16_t id) {
    switch (id) {
      case 1:
        Expect(r, t, CType::kI32, "DataPageHeaderV2.num_values");
        h.num_values = r->ReadI32();
        break;
      case 2:
        Expect(r, t, CType::kI32, "DataPageHeaderV2.num_nulls");
        h.num_nulls = r->ReadI32();
        break;
      case 3:
        Expect(r, t, CType::kI32, "DataPageHeaderV2.num_rows");
        h.num_rows = r->ReadI32();
        break;
      case 4:
        Expect(r, t, CType::kI32, "DataPageHeaderV2.encoding");
        h.encoding = static_cast<Encoding>(r->ReadI32());
        break;
      case 5:
        Expect(r, t, CType::kI32, "DataPageHeaderV2.definition_levels_byte_length");
        h.definition_levels_byte_length = r->ReadI32();
        break;
      case 6:
        Expect(r, t, CType::kI32, "DataPageHeaderV2.repetition_levels_byte_length");
        h.repetition_levels_byte_length = r->ReadI32();
        break;
      case 7:
        Expect(r, t, CType::kBoolTrue, "DataPageHeaderV2.is_compressed");
        h.is_compressed = r->ReadBool(t);
        return true;
      default:
        return false;
    }
    seen[id] = true;
    return true;
  });
  for (int i = 1; i <= 6; ++i) Require(r, seen[i], "DataPageHeaderV2 field");
  return h;
}

DictionaryPageHeader ReadDictionaryPageHeader(CompactReader* r) {
  DictionaryPageHeader h;
  bool seen[3] = {};
  ReadStruct(r, [&](CType t, int16_t id) {
    switch (id) {
      case 1:
        Expect(r, t, CType::kI32, "DictionaryPageHeader.num_values");
        h.num_values = r->ReadI32();
        break;
      case 2:
        Expect(r, t, CType::kI32, "DictionaryPageHeader.encoding");
        h.encoding = static_cast<Encoding>(r->ReadI32());
        break;
      case 3:
        Expect(r, t, CType::kBoolTrue, "DictionaryPageHeader.is_sorted");
        h.is_sorted = r->ReadBool(t);
        return true;
      default:
        return false;
    }
    seen[id] = true;
    return true;
  });
  Require(r, seen[1], "DictionaryPageHeader.num_values");
  Require(r, seen[2], "DictionaryPageHeader.encoding");
  return h;
}

}  // namespace

void SerializeFileMetaData(const FileMetaData& m, std::string* out) {
  CompactWriter w(out);
  w.BeginStruct();
  w.FieldI32(1, m.version);
  w.FieldList(2, CType::kStruct, static_cast<uint32_t>(m.schema.size()));
  for (const SchemaElement& e : m.schema) WriteSchemaElement(&w, e);
  w.FieldI64(3, m.num_rows);
  w.FieldList(4, CType::kStruct, static_cast<uint32_t>(m.row_groups.size()));
  for (const RowGroup& g : m.row_groups) {
    w.BeginStruct();
    w.FieldList(1, CType::kStruct, static_cast<uint32_t>(g.columns.size()));
    for (const ColumnChunk& c : g.columns) {
      w.BeginStruct();
      if (c.file_path) w.FieldBinary(1, *c.file_path);
      w.FieldI64(2, c.file_offset);
      if (c.meta_data) {
        w.FieldStruct(3);
        WriteColumnMetaData(&w, *c.meta_data);
        w.EndStruct();
      }
      if (c.offset_index_offset) w.FieldI64(4, *c.offset_index_offset);
      if (c.offset_index_length) w.FieldI32(5, *c.offset_index_length);
      if (c.column_index_offset) w.FieldI64(6, *c.column_index_offset);
      if (c.column_index_length) w.FieldI32(7, *c.column_index_length);
      w.EndStruct();
    }
    w.FieldI64(2, g.total_byte_size);
    w.FieldI64(3, g.num_rows);
    if (g.file_offset) w.FieldI64(5, *g.file_offset);
    if (g.total_compressed_size) w.FieldI64(6, *g.total_compressed_size);
    if (g.ordinal) w.FieldI16(7, *g.ordinal);
    w.EndStruct();
  }
  if (!m.key_value_metadata.empty()) WriteKeyValues(&w, 5, m.key_value_metadata);
  if (m.created_by) w.FieldBinary(6, *m.created_by);
  if (!m.column_orders.empty()) {
    w.FieldList(7, CType::kStruct, static_cast<uint32_t>(m.column_orders.size()));
    for (ColumnOrder o : m.column_orders) {
      w.BeginStruct();
      WriteEmptyStructField(&w, static_cast<int16_t>(o));
      w.EndStruct();
    }
  }
  w.EndStruct();
}

void SerializePageHeader(const PageHeader& h, std::string* out) {
  CompactWriter w(out);
  w.BeginStruct();
  w.FieldI32(1, static_cast<int32_t>(h.type));
  w.FieldI32(2, h.uncompressed_page_size);
  w.FieldI32(3, h.compressed_page_size);
  if (h.crc) w.FieldI32(4, *h.crc);
  if (h.data_page_header) {
    const DataPageHeader& d = *h.data_page_header;
    w.FieldStruct(5);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, static_cast<int32_t>(d.encoding));
    w.FieldI32(3, static_cast<int32_t>(d.definition_level_encoding));
    w.FieldI32(4, static_cast<int32_t>(d.repetition_level_encoding));
    if (d.statistics) {
      w.FieldStruct(5);
      WriteStatistics(&w, *d.statistics);
      w.EndStruct();
    }
    w.EndStruct();
  }
  if (h.dictionary_page_header) {
    const DictionaryPageHeader& d = *h.dictionary_page_header;
    w.FieldStruct(7);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, static_cast<int32_t>(d.encoding));
    if (d.is_sorted) w.FieldBool(3, *d.is_sorted);
    w.EndStruct();
  }
  if (h.data_page_header_v2) {
    const DataPageHeaderV2& d = *h.data_page_header_v2;
    w.FieldStruct(8);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, d.num_nulls);
    w.FieldI32(3, d.num_rows);
    w.FieldI32(4, static_cast<int32_t>(d.encoding));
    w.FieldI32(5, d.definition_levels_byte_length);
    w.FieldI32(6, d.repetition_levels_byte_length);
    w.FieldBool(7, d.is_compressed);
    w.EndStruct();
  }
  w.EndStruct();
}

void SerializeOffsetIndex(const OffsetIndex& o, std::string* out) {
  CompactWriter w(out);
  w.BeginStruct();
  w.FieldList(1, CType::kStruct, static_cast<uint32_t>(o.page_locations.size()));
  for (const PageLocation& p : o.page_locations) {
    w.BeginStruct();
    w.FieldI64(1, p.offset);
    w.FieldI32(2, p.compressed_page_size);
    w.FieldI64(3, p.first_row_index);
    w.EndStruct();
  }
  w.EndStruct();
}

void SerializeColumnIndex(const ColumnIndex& c, std::string* out) {
  CompactWriter w(out);
  w.BeginStruct();
  w.FieldList(1, CType::kBoolTrue, static_cast<uint32_t>(c.null_pages.size()));
  for (bool b : c.null_pages) w.ElementBool(b);
  w.FieldList(2, CType::kBinary, static_cast<uint32_t>(c.min_values.size()));
  for (const std::string& v : c.min_values) w.ElementBinary(v);
  w.FieldList(3, CType::kBinary, static_cast<uint32_t>(c.max_values.size()));
  for (const std::string& v : c.max_values) w.ElementBinary(v);
  w.FieldI32(4, static_cast<int32_t>(c.boundary_order));
  if (c.null_counts) {
    w.FieldList(5, CType::kI64, static_cast<uint32_t>(c.null_counts->size()));
    for (int64_t n : *c.null_counts) w.ElementI64(n);
  }
  w.EndStruct();
}

OffsetIndex ParseOffsetIndex(CompactReader* r) {
  OffsetIndex o;
  bool has_locations = false;
  ReadStruct(r, [&](CType t, int16_t id) {
    if (id != 1) return false;
    o.page_locations =
        ReadList<PageLocation>(r, t, CType::kStruct, "OffsetIndex.page_locations", [&] {
          PageLocation p;
          bool seen[4] = {};
          ReadStruct(r, [&](CType ft, int16_t fid) {
            switch (fid) {
              case 1:
                Expect(r, ft, CType::kI64, "PageLocation.offset");
                p.offset = r->ReadI64();
                break;
              case 2:
                Expect(r, ft, CType::kI32, "PageLocation.compressed_page_size");
                p.compressed_page_size = r->ReadI32();
                break;
              case 3:
                Expect(r, ft, CType::kI64, "PageLocation.first_row_index");
                p.first_row_index = r->ReadI64();
                break;
              default:
                return false;
            }
            seen[fid] = true;
            return true;
          });
          for (int i = 1; i <= 3; ++i) Require(r, seen[i], "PageLocation field");
          return p;
        });
    has_locations = true;
    return true;
  });
  Require(r, has_locations, "OffsetIndex.page_locations");
  return o;
}

ColumnIndex ParseColumnIndex(CompactReader* r) {
  ColumnIndex c;
  bool seen[5] = {};
  ReadStruct(r, [&](CType t, int16_t id) {
    switch (id) {
      case 1: {
        Expect(r, t, CType::kList, "ColumnIndex.null_pages");
        CType et;
        uint32_t n;
        r->ReadListHeader(&et, &n);
        if (et != CType::kBoolTrue && et != CType::kBoolFalse) {
          r->Fail("list ColumnIndex.null_pages has the wrong element type");
        }
        for (uint32_t i = 0; i < n; ++i) c.null_pages.push_back(r->ReadBoolElement());
        break;
      }
      case 2:
        c.min_values = ReadList<std::string>(r, t, CType::kBinary, "ColumnIndex.min_values",
                                             [&] { return r->ReadBinary(); });
        break;
      case 3:
        c.max_values = ReadList<std::string>(r, t, CType::kBinary, "ColumnIndex.max_values",
                                             [&] { return r->ReadBinary(); });
        break;
      case 4:
        Expect(r, t, CType::kI32, "ColumnIndex.boundary_order");
        c.boundary_order = static_cast<BoundaryOrder>(r->ReadI32());
        break;
      case 5:
        c.null_counts = ReadList<int64_t>(r, t, CType::kI64, "ColumnIndex.null_counts",
                                          [&] { return r->ReadI64(); });
        return true;
      default:
        return false;
    }
    seen[id] = true;
    return true;
  });
  Require(r, seen[1], "ColumnIndex.null_pages");
  Require(r, seen[2], "ColumnIndex.min_values");
  Require(r, seen[3], "ColumnIndex.max_values");
  Require(r, seen[4], "ColumnIndex.boundary_order");
  return c;
}

FileMetaData ParseFileMetaData(CompactReader* r) {
  FileMetaData m;
  bool seen[5] = {};
  ReadStruct(r, [&](CType t, int16_t id) {
    switch (id) {
      case 1:
        Expect(r, t, CType::kI32, "FileMetaData.version");
        m.version = r->ReadI32();
        break;
      case 2:
        m.schema = ReadList<SchemaElement>(r, t, CType::kStruct, "FileMetaData.schema",
                                           [&] { return ReadSchemaElement(r); });
        break;
      case 3:
        Expect(r, t, CType::kI64, "FileMetaData.num_rows");
        m.num_rows = r->ReadI64();
        break;
      case 4:
        m.row_groups = ReadList<RowGroup>(r, t, CType::kStruct, "FileMetaData.row_groups",
                                          [&] { return ReadRowGroup(r); });
        break;
      case 5:
        m.key_value_metadata =
            ReadList<KeyValue>(r, t, CType::kStruct, "FileMetaData.key_value_metadata",
                               [&] { return ReadKeyValue(r); });
        return true;
      case 6:
        Expect(r, t, CType::kBinary, "FileMetaData.created_by");
        m.created_by = r->ReadBinary();
        return true;
      case 7:
        m.column_orders =
            ReadList<ColumnOrder>(r, t, CType::kStruct, "FileMetaData.column_orders", [&] {
              const int16_t member = ReadUnion(r, [](CType, int16_t) { return false; });
              return static_cast<ColumnOrder>(member);
            });
        return true;
      default:
        return false;
    }
    seen[id] = true;
    return true;
  });
  Require(r, seen[2], "FileMetaData.schema");
  Require(r, seen[3], "FileMetaData.num_rows");
  Require(r, seen[4], "FileMetaData.row_groups");
  return m;
}

PageHeader ParsePageHeader(CompactReader* r) {
  PageHeader h;
  bool seen[4] = {};
  ReadStruct(r, [&](CType t, int16_t id) {
    switch (id) {
      case 1:
        Expect(r, t, CType::kI32, "PageHeader.type");
        h.type = static_cast<PageType>(r->ReadI32());
        break;
      case 2:
        Expect(r, t, CType::kI32, "PageHeader.uncompressed_page_size");
        h.uncompressed_page_size = r->ReadI32();
        break;
      case 3:
        Expect(r, t, CType::kI32, "PageHeader.compressed_page_size");
        h.compressed_page_size = r->ReadI32();
        break;
      case 4:
        Expect(r, t, CType::kI32, "PageHeader.crc");
        h.crc = r->ReadI32();
        return true;
      case 5:
        Expect(r, t, CType::kStruct, "PageHeader.data_page_header");
        h.data_page_header = ReadDataPageHeader(r);
        return true;
      case 7:
        Expect(r, t, CType::kStruct, "PageHeader.dictionary_page_header");
        h.dictionary_page_header = ReadDictionaryPageHeader(r);
        return true;
      case 8:
        Expect(r, t, CType::kStruct, "PageHeader.data_page_header_v2");
        h.data_page_header_v2 = ReadDataPageHeaderV2(r);
        return true;
      default:
        return false;
    }
    seen[id] = true;
    return true;
  });
  Require(r, seen[1], "PageHeader.type");
  Require(r, seen[2], "PageHeader.uncompressed_page_size");
  Require(r, seen[3], "PageHeader.compressed_page_size");
  return h;
}

}  // namespace datashard::parquet

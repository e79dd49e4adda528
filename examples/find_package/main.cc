// Appends three rows to the table in the folder given (creating it the first
// time) and prints how many rows it holds and how many have name "two".
#include <datashard/errors.h>
#include <datashard/scan.h>
#include <datashard/table.h>

#include <cstdint>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: datashard_example TABLE_FOLDER\n";
    return 2;
  }
  using namespace datashard;
  try {
    Schema schema(1, {{.id = 1, .name = "id", .type = DataType::Long(), .required = true},
                      {.id = 2, .name = "name", .type = DataType::String()}});
    // Opens the table when it already exists with this schema.
    Table table = CreateTable(argv[1], schema);
    std::vector<Record> rows = {
        {int64_t{1}, "one"}, {int64_t{2}, "two"}, {int64_t{3}, Value::Null()}};
    table.AppendRecords(rows, schema);

    int64_t total = 0;
    auto reader = NewScan(table).Open();
    RecordBatch batch;
    while (reader->Next(&batch)) total += static_cast<int64_t>(batch.num_rows());
    int64_t twos = NewScan(table).Filter("name = 'two'").Count();
    std::cout << "rows " << total << ", named two " << twos << "\n";
  } catch (const Error& e) {
    std::cerr << "datashard_example: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

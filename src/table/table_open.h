// What opening and creating a table share between the file catalog
// (CreateTable, OpenTable in table.cc) and SQL catalogs (catalog.cc): the
// table folder's confined FileIO, the checks of a new table, publishing its
// first version through a TableCatalog, and comparing with an existing one.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "catalog/table_catalog.h"
#include "datashard/table.h"
#include "io/confined_file_io.h"
#include "table/table_state.h"

namespace datashard {

/// A Table handle on `state`.
Table MakeTable(std::shared_ptr<TableState> state);

/// The table folder as an absolute path without "." components or a
/// trailing slash. InvalidArgument for an empty path.
std::string AbsoluteTablePath(FileIO& io, const std::string& path);

/// The FileIO of the table in `folder`, confined to it. NotFound naming the
/// folder when it does not exist.
std::shared_ptr<ConfinedFileIO> TableIO(const TableOptions& options, const std::string& folder);

/// Maps the location `m` (read from `file`) records into the folder and
/// applies its opt-in to reads outside it; Corruption naming the file when a
/// snapshot's manifest list lies outside.
void ConfineTo(ConfinedFileIO& io, const TableMetadata& m, const std::string& file);

/// InvalidArgument for a schema without fields, a spec or a property
/// datashard cannot use; writes nothing.
void ValidateNewTable(const Schema& schema, const PartitionSpec& spec,
                      const std::map<std::string, std::string>& properties);

/// `table` when its schema and spec are these, else AlreadyExists naming
/// the difference.
Table OpenExistingMatching(Table table, const Schema& schema, const PartitionSpec& spec);

/// Makes the catalog of a new table from the table's confined FileIO.
using CatalogFactory =
    std::function<std::shared_ptr<TableCatalog>(std::shared_ptr<FileIO> confined)>;

/// Creates the folder `location` (absolute, checked) and publishes the
/// table's first version through the catalog `make_catalog` returns. When
/// another creator published first: `open_existing()` if it matches
/// (OpenExistingMatching). CommitStateUnknown when the first version may or
/// may not exist.
Table CreateInFolder(const std::string& location, const Schema& schema, const PartitionSpec& spec,
                     const std::map<std::string, std::string>& properties,
                     const TableOptions& options, const CatalogFactory& make_catalog,
                     const std::function<Table()>& open_existing);

}  // namespace datashard

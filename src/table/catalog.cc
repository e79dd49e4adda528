#include "datashard/catalog.h"

#include "catalog/file_catalog.h"
#include "catalog/sql_catalog.h"
#include "datashard/errors.h"
#include "metadata/file_location.h"
#include "table/table_open.h"

namespace datashard {

struct Catalog::Impl {
  std::shared_ptr<SqlCatalog> sql;
  CatalogOptions options;

  TableOptions table_options() const { return TableOptions{options.io}; }
  FileIO& io() const { return options.io ? *options.io : *DefaultFileIO(); }
};

namespace {

std::string LocalMetadataPath(const std::string& location) {
  return LocalFilePath(location, "metadata file");
}

// The table folder of a metadata file <folder>/metadata/<file>.
std::string FolderOf(const std::string& metadata_file) {
  std::string folder = metadata_file.substr(0, metadata_file.rfind('/'));
  if (folder.size() >= 9 && folder.compare(folder.size() - 9, 9, "/metadata") == 0)
    folder.resize(folder.size() - 9);
  return folder.empty() ? "/" : folder;
}

}  // namespace

Catalog Catalog::Open(const std::string& url, CatalogOptions options) {
  auto impl = std::make_shared<Impl>();
  impl->sql = SqlCatalog::Open(url, options.name);
  impl->options = std::move(options);
  return Catalog(std::move(impl));
}

std::string Catalog::url() const { return impl_->sql->url(); }
const std::string& Catalog::name() const { return impl_->sql->name(); }

Table Catalog::LoadTable(const std::string& identifier) {
  const TableIdentifier id = TableIdentifier::Parse(identifier);
  const std::optional<std::string> location = impl_->sql->MetadataLocation(id);
  if (!location) throw NotFound("no table " + impl_->sql->Describe(id));
  const std::string folder = FolderOf(LocalMetadataPath(*location));
  auto confined = TableIO(impl_->table_options(), folder);
  auto state = std::make_shared<TableState>(
      confined, folder, impl_->sql->ForTable(id, confined, folder, LocalMetadataPath));
  const auto [m, pointer] = state->LoadLatest();
  ConfineTo(*confined, m, pointer.location);
  return MakeTable(state);
}

Table Catalog::CreateTable(const std::string& identifier, const std::string& location,
                           const Schema& schema, const PartitionSpec& spec,
                           const std::map<std::string, std::string>& properties) {
  const TableIdentifier id = TableIdentifier::Parse(identifier);
  ValidateNewTable(schema, spec, properties);
  const std::string folder = AbsoluteTablePath(impl_->io(), location);
  const auto open_existing = [&] {
    Table table = LoadTable(identifier);
    if (table.location() != folder)
      throw AlreadyExists("table " + impl_->sql->Describe(id) + " exists at " + table.location() +
                          ", not at " + folder);
    return table;
  };
  if (impl_->sql->MetadataLocation(id)) return OpenExistingMatching(open_existing(), schema, spec);
  if (FileCatalog(impl_->options.io ? impl_->options.io : DefaultFileIO(), folder).FindLatest())
    throw AlreadyExists("a table of the file catalog (metadata/v<N>.metadata.json) exists at " +
                        folder + "; datashard does not create a catalog table over it");
  return CreateInFolder(
      folder, schema, spec, properties, impl_->table_options(),
      [&](std::shared_ptr<FileIO> confined) {
        return impl_->sql->ForTable(id, std::move(confined), folder, LocalMetadataPath);
      },
      open_existing);
}

bool Catalog::TableExists(const std::string& identifier) {
  return impl_->sql->MetadataLocation(TableIdentifier::Parse(identifier)).has_value();
}

std::vector<std::string> Catalog::ListTables(const std::string& ns) {
  std::vector<std::string> out;
  for (const TableIdentifier& id : impl_->sql->ListTables(ns)) out.push_back(id.ToString());
  return out;
}

void Catalog::DropTable(const std::string& identifier) {
  impl_->sql->DropTable(TableIdentifier::Parse(identifier));
}

void Catalog::RenameTable(const std::string& from, const std::string& to) {
  impl_->sql->RenameTable(TableIdentifier::Parse(from), TableIdentifier::Parse(to));
}

void Catalog::CreateNamespace(const std::string& ns,
                              const std::map<std::string, std::string>& properties) {
  impl_->sql->CreateNamespace(ns, properties);
}

bool Catalog::NamespaceExists(const std::string& ns) { return impl_->sql->NamespaceExists(ns); }

std::vector<std::string> Catalog::ListNamespaces(const std::string& parent) {
  return impl_->sql->ListNamespaces(parent);
}

std::map<std::string, std::string> Catalog::NamespaceProperties(const std::string& ns) {
  return impl_->sql->NamespaceProperties(ns);
}

void Catalog::DropNamespace(const std::string& ns) { impl_->sql->DropNamespace(ns); }

void Catalog::RenameNamespace(const std::string& from, const std::string& to) {
  impl_->sql->RenameNamespace(from, to);
}

}  // namespace datashard

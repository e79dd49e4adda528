#include "sql/libpq.h"

#include <dlfcn.h>

#include <string>

#include "datashard/errors.h"

namespace datashard::sql {
namespace {

constexpr const char* kLibrary = "libpq.so.5";

struct Loaded {
  LibPq functions{};
  std::string error;  // empty: loaded
};

template <typename F>
void Resolve(void* handle, const char* name, F* out, std::string* error) {
  if (!error->empty()) return;
  *out = reinterpret_cast<F>(dlsym(handle, name));
  if (*out == nullptr) *error = std::string(kLibrary) + " has no " + name;
}

Loaded Load() {
  Loaded l;
  // Never closed: connections and results may outlive any owner.
  void* handle = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    l.error = why != nullptr ? why : std::string("cannot load ") + kLibrary;
    return l;
  }
  LibPq& f = l.functions;
  std::string* e = &l.error;
#define DATASHARD_RESOLVE(name) Resolve(handle, #name, &f.name, e)
  DATASHARD_RESOLVE(PQconnectdbParams);
  DATASHARD_RESOLVE(PQstatus);
  DATASHARD_RESOLVE(PQerrorMessage);
  DATASHARD_RESOLVE(PQfinish);
  DATASHARD_RESOLVE(PQsetNoticeProcessor);
  DATASHARD_RESOLVE(PQsocket);
  DATASHARD_RESOLVE(PQexec);
  DATASHARD_RESOLVE(PQexecParams);
  DATASHARD_RESOLVE(PQprepare);
  DATASHARD_RESOLVE(PQexecPrepared);
  DATASHARD_RESOLVE(PQresultStatus);
  DATASHARD_RESOLVE(PQclear);
  DATASHARD_RESOLVE(PQntuples);
  DATASHARD_RESOLVE(PQnfields);
  DATASHARD_RESOLVE(PQgetvalue);
  DATASHARD_RESOLVE(PQgetisnull);
  DATASHARD_RESOLVE(PQcmdTuples);
  DATASHARD_RESOLVE(PQconsumeInput);
  DATASHARD_RESOLVE(PQnotifies);
  DATASHARD_RESOLVE(PQfreemem);
#undef DATASHARD_RESOLVE
  return l;
}

}  // namespace

const LibPq& Pq() {
  static const Loaded loaded = Load();
  if (!loaded.error.empty()) {
    throw NotSupported("PostgreSQL needs libpq, which could not be loaded (" + loaded.error +
                       "); install the libpq5 package");
  }
  return loaded.functions;
}

}  // namespace datashard::sql

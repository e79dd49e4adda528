// libpq, loaded when a PostgreSQL connection is first made instead of at
// process start: its dependencies (Kerberos, LDAP, TLS) cost every process
// that links it about 15 ms of dynamic loading, paid by each CLI call and
// Python import although most never reach a PostgreSQL server. Thread-safe.
#pragma once

#include <libpq-fe.h>

namespace datashard::sql {

/// The libpq functions datashard calls, by their libpq names.
struct LibPq {
  decltype(&::PQconnectdbParams) PQconnectdbParams;
  decltype(&::PQstatus) PQstatus;
  decltype(&::PQerrorMessage) PQerrorMessage;
  decltype(&::PQfinish) PQfinish;
  decltype(&::PQsetNoticeProcessor) PQsetNoticeProcessor;
  decltype(&::PQsocket) PQsocket;
  decltype(&::PQexec) PQexec;
  decltype(&::PQexecParams) PQexecParams;
  decltype(&::PQprepare) PQprepare;
  decltype(&::PQexecPrepared) PQexecPrepared;
  decltype(&::PQresultStatus) PQresultStatus;
  decltype(&::PQclear) PQclear;
  decltype(&::PQntuples) PQntuples;
  decltype(&::PQnfields) PQnfields;
  decltype(&::PQgetvalue) PQgetvalue;
  decltype(&::PQgetisnull) PQgetisnull;
  decltype(&::PQcmdTuples) PQcmdTuples;
  decltype(&::PQconsumeInput) PQconsumeInput;
  decltype(&::PQnotifies) PQnotifies;
  decltype(&::PQfreemem) PQfreemem;
};

/// libpq (libpq.so.5), loaded on the first call. NotSupported naming the
/// library and the loader's message when it or one of its functions is
/// missing (then every call fails the same way).
const LibPq& Pq();

}  // namespace datashard::sql

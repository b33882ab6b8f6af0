// Debian's libsqlite3 (apt: libsqlite3-dev). PaxosStorage is the only module that imports it.
#include <sqlite3.h>

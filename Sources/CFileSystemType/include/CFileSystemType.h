#ifndef C_FILE_SYSTEM_TYPE_H
#define C_FILE_SYSTEM_TYPE_H

/// The file system type (statfs(2) f_type, e.g. TMPFS_MAGIC) of the file
/// system holding `path`, or -1 with errno set. Swift's Glibc module does not
/// include <sys/vfs.h>, hence this one-function shim. Linux only: elsewhere it
/// fails with ENOSYS.
long field_file_system_type(const char *path);

#endif

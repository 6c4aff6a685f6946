/*
 * Stand-in for libltdl's header, used only when ltdl.h is not installed
 * (pip's nest-simulator wheel does not ship it). NEST's module_manager.h
 * needs nothing from it but the handle type, declared here as libltdl
 * declares it; the module never calls libltdl.
 */
#ifndef SPIKESIM_LTDL_SHIM_H
#define SPIKESIM_LTDL_SHIM_H
typedef struct lt__handle* lt_dlhandle;
#endif

/* wire.h - placeholder, replaced by the real wire header */
#ifndef BPI_WIRE_H
#define BPI_WIRE_H
#define BPI_WIRE_VERSION 1
#endif

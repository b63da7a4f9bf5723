/* SPDX-License-Identifier: GPL-2.0 */
/* mmdma-bench: the parts in their own files. */
#ifndef MMDMA_BENCH_H
#define MMDMA_BENCH_H

/* Mapping figures (bench_maps.c): 0, or -1 after printing why. */
int bench_maps(void);

/* Side by side with udmabuf, the system heap, anonymous memory. */
int bench_peers(void);

#endif /* MMDMA_BENCH_H */

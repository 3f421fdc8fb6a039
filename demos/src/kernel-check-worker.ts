/** Dedicated worker for the kernel check: the same job, exposed over Comlink. */
import * as Comlink from 'comlink';
import { runKernelCheck } from './kernel-check-core';

const api = { runKernelCheck };
export type KernelCheckWorkerApi = typeof api;
Comlink.expose(api);

/**
 * Runs the embedded reference simulator on a thread of its own, so that vitest's bookkeeping on the main
 * thread never delays the simulator's answers (measured: 20 ms mean event-loop lag on a shared thread).
 */
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { ProfileConfig, SimulatorOptions } from '../simulator/index.ts';

export interface SimulatorHandle {
  url: string;
  controlUrl: string;
  smtp?: { host: string; port: number };
  profiles: ProfileConfig[];
  close(): Promise<void>;
}

type ThreadOptions = Omit<SimulatorOptions, 'log'>;

/** Starts the simulator on a worker thread; resolves once it listens. */
export function startSimulatorThread(options: ThreadOptions): Promise<SimulatorHandle> {
  const worker = new Worker(fileURLToPath(import.meta.url), {
    workerData: { ...options, __simulatorThread: true },
    // From source (a checkout) the thread needs tsx's loader; compiled (dist/) it needs nothing.
    execArgv: import.meta.url.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [],
  });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: Omit<SimulatorHandle, 'close'> | { error: string }) => {
      if ('error' in m) {
        reject(new Error(m.error));
        return;
      }
      resolve({
        ...m,
        close: () =>
          new Promise<void>((done) => {
            worker.once('exit', () => done());
            worker.postMessage('close');
          }),
      });
    });
  });
}

if (
  !isMainThread &&
  parentPort &&
  (workerData as { __simulatorThread?: boolean } | undefined)?.__simulatorThread
) {
  const port = parentPort;
  const { startSimulator } = await import('../simulator/index.ts');
  try {
    const { __simulatorThread: _, ...options } = workerData as ThreadOptions & { __simulatorThread: boolean };
    const sim = await startSimulator({ ...options, log: () => {} });
    port.postMessage({
      url: sim.url,
      controlUrl: sim.controlUrl,
      ...(sim.smtp ? { smtp: sim.smtp } : {}),
      profiles: sim.profiles,
    });
    port.on('message', async (m) => {
      if (m === 'close') {
        await sim.close();
        process.exit(0);
      }
    });
  } catch (error) {
    port.postMessage({ error: (error as Error).message });
  }
}

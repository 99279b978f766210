/** The messages between a benchmark and the server process it forks (see `server-process.ts`). */

/** What the forked process serves: a real gateway on a data folder, or the bare express route to compare with. */
export type ServerSpec = { readonly kind: 'gateway'; readonly dataDir: string } | { readonly kind: 'bare' };

export type ParentMessage = { readonly kind: 'start'; readonly spec: ServerSpec } | { readonly kind: 'stop' };

export type ChildMessage =
  | { readonly kind: 'ready'; readonly url: string }
  | { readonly kind: 'stopped'; readonly closeMs: number }
  | { readonly kind: 'failed'; readonly message: string };

/** The messages between a benchmark and the server process it forks (see `server-process.ts`). */

/** Where a forked gateway keeps its own catalog and which other catalogs (engines) it connects to. */
export interface GatewayCatalogs {
  /** `catalog.url`: the gateway's metadata store (`sqlite:catalog.db` in the data folder when omitted). */
  readonly catalogUrl?: string;
  /** `catalogs`: more engine connections beside the default SQLite one, by name. */
  readonly catalogs?: Readonly<Record<string, { readonly url: string }>>;
  /** `discovery`: discoverers and profile settings, as the configuration writes them. */
  readonly discovery?: Readonly<Record<string, unknown>>;
}

/** What the forked process serves: a real gateway on a data folder, or the bare express route to compare with. */
export type ServerSpec =
  | ({ readonly kind: 'gateway'; readonly dataDir: string } & GatewayCatalogs)
  | { readonly kind: 'bare' };

export type ParentMessage = { readonly kind: 'start'; readonly spec: ServerSpec } | { readonly kind: 'stop' };

export type ChildMessage =
  | { readonly kind: 'ready'; readonly url: string }
  | { readonly kind: 'stopped'; readonly closeMs: number }
  | { readonly kind: 'failed'; readonly message: string };

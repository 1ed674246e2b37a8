// Files of Hugging Face Hub repositories, named as the Hub's own tools name them
// (`hf://datasets/<owner>/<name>@<revision>/<path>`, as huggingface_hub's HfFileSystem), and fetched as they fetch
// them: `<HF_ENDPOINT>/datasets/<owner>/<name>/resolve/<revision>/<path>`, with `Authorization: Bearer $HF_TOKEN`
// when a token is set. HF_ENDPOINT (default https://huggingface.co) points at a mirror; HF_HUB_OFFLINE=1 forbids
// the network (download.ts). Dataset libs build hf:// URLs (they never read the environment); this file resolves them.

export interface HubFile {
  repo: string;
  revision: string;
  path: string;
  endpoint: string;
}

export interface HubRequest {
  url: string;
  headers: Record<string, string>;
  /** set for hf:// URLs */
  hub: HubFile | null;
}

const HF_URL = /^hf:\/\/datasets\/([\w.-]+\/[\w.-]+)(?:@([^/]+))?\/(.+)$/;

export function isHubUrl(url: string): boolean {
  return url.startsWith('hf://');
}

/** The parts of an hf:// dataset URL (revision `main` when the URL names none). */
export function parseHubUrl(url: string): Omit<HubFile, 'endpoint'> {
  const m = HF_URL.exec(url);
  if (!m) throw new Error(`${url}: expected hf://datasets/<owner>/<name>[@<revision>]/<path>`);
  return { repo: m[1], revision: decodeURIComponent(m[2] ?? 'main'), path: m[3] };
}

/** An hf:// URL for a file of a dataset repository at a revision. */
export function hubUrl(repo: string, revision: string, file: string): string {
  return `hf://datasets/${repo}@${encodeURIComponent(revision)}/${file}`;
}

/** The HTTP request for an hf:// URL under the Hub's environment variables. */
export function hubRequest(url: string, env: NodeJS.ProcessEnv): HubRequest {
  const { repo, revision, path } = parseHubUrl(url);
  const endpoint = (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(endpoint)) throw new Error(`HF_ENDPOINT=${endpoint}: expected an http(s) URL such as https://huggingface.co or a mirror's`);
  const token = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
  const file = path.split('/').map(encodeURIComponent).join('/');
  return {
    url: `${endpoint}/datasets/${repo}/resolve/${encodeURIComponent(revision)}/${file}`,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    hub: { repo, revision, path, endpoint },
  };
}

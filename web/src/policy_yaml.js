// Just enough of NetworkPolicy YAML for the panel: split a multi-document text into policies and
// read each one's namespace, name and podSelector.matchLabels. The server parses policies for real
// (simulate); this only labels the Compare rows and marks workloads on the graph, so a policy it
// cannot read (matchExpressions, flow style) is shown but marks no workload.

export function splitDocuments(text) {
  return (text || '')
    .split(/^---[ \t]*$/m)
    .map((d) => d.replace(/^\s*\n/, ''))
    .filter((d) => /\S/.test(d.replace(/^#.*$/gm, '')));
}

// {namespace, name, matchLabels: {k: v} | null (unreadable), yaml}
export function readPolicy(doc) {
  const lines = doc.split('\n');
  let namespace = '';
  let name = '';
  let section = '';
  let matchLabels = {};
  let inSelector = false;
  let inLabels = false;
  let readable = true;
  for (const line of lines) {
    if (/^\S/.test(line)) {
      section = line.replace(/:.*$/, '');
      continue;
    }
    if (section === 'metadata') {
      const m = line.match(/^  (name|namespace):\s*["']?([^"'\s]+)["']?\s*$/);
      if (m) {
        if (m[1] === 'name') name = m[2];
        else namespace = m[2];
      }
    }
    if (section === 'spec') {
      if (/^  podSelector:/.test(line)) {
        inSelector = true;
        if (/\{\s*\}\s*$/.test(line)) inSelector = false; // podSelector: {} selects all
        continue;
      }
      if (/^  \S/.test(line)) { inSelector = false; inLabels = false; continue; }
      if (inSelector) {
        if (/^    matchLabels:/.test(line)) { inLabels = true; continue; }
        if (/^    matchExpressions:/.test(line)) { readable = false; inLabels = false; continue; }
        const kv = inLabels && line.match(/^      ([^:\s]+):\s*["']?([^"']*)["']?\s*$/);
        if (kv) matchLabels[kv[1]] = kv[2];
      }
    }
  }
  return { namespace, name, matchLabels: readable ? matchLabels : null, yaml: doc };
}

export function readPolicies(text) {
  return splitDocuments(text).map(readPolicy);
}

export function selects(policy, node) {
  if (!policy.matchLabels || node.namespace !== policy.namespace) return false;
  const labels = node.labels || {};
  return Object.entries(policy.matchLabels).every(([k, v]) => labels[k] === v);
}

// StackRox's display form of a modification (docs §4.4): delete comments, then the YAML.
export function displayYaml(modification) {
  const deletes = (modification.toDelete || [])
    .map((r) => `# kubectl -n ${r.namespace} delete networkpolicy ${r.name}`);
  const yaml = modification.applyYaml || '';
  // The server writes an empty modification's YAML as one comment line: no policy in it.
  const hasPolicies = splitDocuments(yaml).length > 0;
  if (!deletes.length && !hasPolicies) return 'No policies need to be created or deleted.';
  return [...deletes, ...(hasPolicies ? [yaml.startsWith('---') ? yaml : `---\n${yaml}`] : [])]
    .join('\n');
}

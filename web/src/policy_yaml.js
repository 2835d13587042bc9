// Just enough of NetworkPolicy YAML for the panel: split a multi-document text into policies and
// read each one's namespace and name, to label the Compare rows. The server parses policies for
// real (simulate), selectors included: it lists the workloads each changed policy selects.

export function splitDocuments(text) {
  return (text || '')
    .split(/^---[ \t]*$/m)
    .map((d) => d.replace(/^\s*\n/, ''))
    .filter((d) => /\S/.test(d.replace(/^#.*$/gm, '')));
}

// {namespace, name, yaml}
export function readPolicy(doc) {
  let namespace = '';
  let name = '';
  let section = '';
  for (const line of doc.split('\n')) {
    if (/^\S/.test(line)) {
      section = line.replace(/:.*$/, '');
      continue;
    }
    const m = section === 'metadata' && line.match(/^  (name|namespace):\s*["']?([^"'\s]+)["']?\s*$/);
    if (m) {
      if (m[1] === 'name') name = m[2];
      else namespace = m[2];
    }
  }
  return { namespace, name, yaml: doc };
}

export function readPolicies(text) {
  return splitDocuments(text).map(readPolicy);
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

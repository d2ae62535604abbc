/** A kubeconfig file (YAML) pointing at a fake API server, as `kubectl config view --raw` writes one. */

/** Kubeconfig text for the fake at `url` with a bearer token, under context `context`. */
export function kubeconfigFor(url: string, token = 'fake-token', context = 'fake'): string {
  return `apiVersion: v1
kind: Config
clusters:
  - name: ${context}-cluster
    cluster:
      server: ${url}
      insecure-skip-tls-verify: true
users:
  - name: ${context}-user
    user:
      token: ${token}
contexts:
  - name: ${context}
    context:
      cluster: ${context}-cluster
      user: ${context}-user
current-context: ${context}
`;
}

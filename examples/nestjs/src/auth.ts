/**
 * Who is calling. The `x-user-id` header stands in for real authentication (a session, a verified JWT):
 * whatever establishes the user, the guard and the interceptor only need this id.
 */
export function userIdOf(request: { headers: Record<string, string | string[] | undefined> }): string | null {
  const header = request.headers['x-user-id'];
  return typeof header === 'string' ? header : null;
}

/** @module Finding a battle's Durable Object by battle id, and minting battle ids. */
export function battleStub(env: Env, battleId: string) {
  return env.BATTLE.get(env.BATTLE.idFromName(battleId));
}

const ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

export function newBattleId(): string {
  const bytes = new Uint8Array(10);
  crypto.getRandomValues(bytes);
  let id = "b-";
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length];
  return id;
}

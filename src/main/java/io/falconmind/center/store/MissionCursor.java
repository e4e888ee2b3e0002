package io.falconmind.center.store;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Position in the newest-first mission list: the {@code (createdAt, id)} of the last mission of a
 * page. Travels as opaque base64url text; {@link #decode} refuses anything it did not make.
 */
record MissionCursor(long createdAt, String id) {

  private static final String VERSION = "1";

  String encode() {
    String raw = VERSION + ":" + createdAt + ":" + id;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** @throws StoreException 400 when the text is not a cursor */
  static MissionCursor decode(String text) {
    try {
      String raw = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
      String[] parts = raw.split(":", 3);
      if (parts.length != 3 || !VERSION.equals(parts[0]) || parts[2].isEmpty()) throw new IllegalArgumentException();
      return new MissionCursor(Long.parseLong(parts[1]), parts[2]);
    } catch (IllegalArgumentException e) {
      throw StoreException.badRequest("malformed cursor: pass the 'next' value of the previous page unchanged");
    }
  }
}

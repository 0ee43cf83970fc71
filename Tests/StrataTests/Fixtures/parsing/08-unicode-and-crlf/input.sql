-- données
CREATE TABLE café (nom TEXT DEFAULT 'é→😀;');
  INSERT INTO café VALUES ('naïve');	SELECT '日本語';

SELECT count(*) FROM co2;

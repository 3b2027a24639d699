DROP INDEX ratings_reviews;
DROP TABLE visitor_link_rollups;

DROP TABLE visitor_link_rollups;

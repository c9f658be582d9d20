-- MySQL dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: localhost    Database: xxwiki
-- ------------------------------------------------------
/*!40101 SET NAMES binary */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;

--
-- Table structure for table `page_props`
--

DROP TABLE IF EXISTS `page_props`;
CREATE TABLE `page_props` (
  `pp_page` int(10) unsigned NOT NULL,
  `pp_propname` varbinary(60) NOT NULL,
  `pp_value` blob NOT NULL,
  `pp_sortkey` float DEFAULT NULL,
  PRIMARY KEY (`pp_page`,`pp_propname`),
  UNIQUE KEY `pp_propname_page` (`pp_propname`,`pp_page`)
) ENGINE=InnoDB DEFAULT CHARSET=binary;

--
-- Dumping data for table `page_props`
--

LOCK TABLES `page_props` WRITE;
/*!40000 ALTER TABLE `page_props` DISABLE KEYS */;
INSERT INTO `page_props` VALUES (1,'wikibase_item','Q1'),(1,'page_image_free','Foo.jpg'),(2,'wikibase_item','Q42'),(2,'displaytitle','It\'s a \"title\"; (with) parens'),(3,'disambiguation','');
INSERT INTO `page_props` VALUES (3,'wikibase_item','Q5'),(4,'defaultsort','Tab\there, newline\nthere, backslash \\ and NUL \0'),(5,'wikibase_item','Q99'),(5,'notes',NULL),(6,'unicode','Ελλάδα 日本 😀'),(6,'binary',_binary 'bin''ary'),(7,'wikibase_item','Q7'),(7,'sortkey',-12.5e3);
/*!40000 ALTER TABLE `page_props` ENABLE KEYS */;
UNLOCK TABLES;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

-- Dump completed on 2026-01-02 10:00:00
